import { DEFAULT_SIMULATION, scoreRecovery } from './psychometrics/simulation.js';

/**
 * Prints the scoring-pipeline check of docs/psychometrics.md: per construct, the correlation of
 * simulated true values with the computed scores. Not a reliability figure: see the Survey page.
 * `npx vite-node bench/psychometrics.ts` (or `node dist/bench/psychometrics.js` after a build).
 */
const rows = scoreRecovery();
const { respondents, seed, noise } = DEFAULT_SIMULATION;
console.log(`Simulated respondents: ${respondents}, seed ${seed}, item noise σ = ${noise}\n`);
console.log('| construct | r(true, score) |');
console.log('| --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.r.toFixed(3)} |`);
const values = rows.map((r) => r.r).sort((a, b) => a - b);
console.log(
  `\nconstructs: ${rows.length}; r min ${values[0]!.toFixed(3)}, median ${values[Math.floor(values.length / 2)]!.toFixed(3)}, max ${values[values.length - 1]!.toFixed(3)}`,
);
