import { DEFAULT_SIMULATION, simulateReliability } from './psychometrics/simulation.js';

/**
 * Prints the table of docs/psychometrics.md: Cronbach's α per scale on simulated respondents.
 * `npx vite-node bench/psychometrics.ts` (or `node dist/bench/psychometrics.js` after a build).
 */
const rows = simulateReliability();
const { respondents, seed, noise } = DEFAULT_SIMULATION;
console.log(`Simulated respondents: ${respondents}, seed ${seed}, item noise σ = ${noise}\n`);
console.log('| category | trait | items | reverse-keyed | α |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(`| ${r.category} | ${r.trait} | ${r.items} | ${r.reverse} | ${r.alpha.toFixed(3)} |`);
const alphas = rows.map((r) => r.alpha);
console.log(
  `\nscales: ${rows.length}; α min ${Math.min(...alphas).toFixed(3)}, median ${alphas.sort((a, b) => a - b)[Math.floor(alphas.length / 2)]!.toFixed(3)}, max ${Math.max(...alphas).toFixed(3)}`,
);
