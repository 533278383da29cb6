import { MEASURED_CONSTRUCTS, type MeasuredConstruct, type TraitCategory } from './trait-catalogue.js';
import type { TRAIT_CATEGORIES } from './trait-catalogue.js';

/**
 * The survey's item bank: Likert statements, four per measured construct (MEASURED_CONSTRUCTS),
 * two keyed each way: agreeing with a reverse-keyed statement means *less* of the construct, so a
 * player who agrees with everything scores the midpoint everywhere (acquiescence cancels). Answers
 * are 1 (strongly disagree) … 5 (strongly agree); on a sensitive (health or mood) statement the
 * player may choose "prefer not to answer", stored as 0 (PREFER_NOT_TO_ANSWER).
 *
 * Each construct lists its two plain statements, then its two reversed ones, so the odd half
 * (1st, 3rd) and the even half (2nd, 4th) each hold one of each: the even–odd consistency index
 * compares halves that acquiescence cannot move.
 *
 * Ids are permanent: stored answers refer to them. A statement kept from an earlier bank keeps its
 * id; a changed meaning gets a new id. Statements written for Traitforge, except the IPIP items
 * (public domain, ipip.ori.org) credited in docs/psychometrics.md.
 */

export type TraitName<C extends TraitCategory> = (typeof TRAIT_CATEGORIES)[C][number];

export interface Item {
  id: string;
  text: string;
  /** Reverse-keyed: scored 6 − answer. */
  reverse: boolean;
}

/** One construct's statements. */
export interface Scale {
  construct: MeasuredConstruct;
  /** Health or mood: each statement may be skipped ("prefer not to answer"). */
  sensitive: boolean;
  items: readonly Item[];
}

/** The stored answer for "prefer not to answer" (sensitive statements only). */
export const PREFER_NOT_TO_ANSWER = 0;

type Statement = readonly [id: string, text: string];

const CONSTRUCTS = new Map(MEASURED_CONSTRUCTS.map((c) => [c.code, c]));

function bank(
  code: string,
  sensitive: boolean,
  plain: readonly [Statement, Statement],
  reversed: readonly [Statement, Statement],
): Scale {
  const construct = CONSTRUCTS.get(code);
  if (!construct) throw new Error(`no measured construct ${code}`);
  return {
    construct,
    sensitive,
    items: [
      ...plain.map(([id, text]) => ({ id, text, reverse: false })),
      ...reversed.map(([id, text]) => ({ id, text, reverse: true })),
    ],
  };
}

/** Every construct's statements, in MEASURED_CONSTRUCTS order. */
export const SCALES: readonly Scale[] = [
  bank(
    'altruism',
    false,
    [
      ['alt1', 'I go out of my way to help someone who is having a hard time.'],
      ['alt4', 'I love to help others.'],
    ],
    [
      ['alt3', "Other people's problems are not my business."],
      ['alt5', 'I rarely offer help unless I am asked.'],
    ],
  ),
  bank(
    'modesty',
    false,
    [
      ['mod4', 'I dislike talking about myself.'],
      ['mod1', 'I would rather let my results speak than talk about them.'],
    ],
    [
      ['mod2', 'I like to make sure everyone knows about my successes.'],
      ['mod5', 'I believe that I am better than others.'],
    ],
  ),
  bank(
    'trust',
    false,
    [
      ['tru4', 'I trust others.'],
      ['tru1', 'I assume that most people mean well.'],
    ],
    [
      ['tru2', 'When a stranger is friendly, I wonder what they want from me.'],
      ['tru5', 'I suspect hidden motives in others.'],
    ],
  ),
  bank(
    'thinking',
    false,
    [
      ['thi1', 'I judge a plan by whether its logic holds up.'],
      ['thi2', 'In a disagreement, I focus on the arguments rather than on the people.'],
    ],
    [
      ['fee1', 'When I decide something, how it will affect people matters most to me.'],
      ['thi3', 'I go with my heart even when the facts point the other way.'],
    ],
  ),
  bank(
    'sensing',
    false,
    [
      ['sen4', 'I want concrete facts before I believe something.'],
      ['sen2', 'I prefer instructions that go step by step.'],
    ],
    [
      ['int4', 'I would rather talk about possibilities than about details.'],
      ['int5', 'I am more interested in the big picture than in the details.'],
    ],
  ),
  bank(
    'competitiveness',
    false,
    [
      ['gco1', 'I turn everyday things into a competition.'],
      ['mcm2', 'Knowing that I am up against someone makes me try harder.'],
    ],
    [
      ['avo1', 'I stay away from situations where I have to compete with others.'],
      ['avo2', 'When a contest gets serious, I would rather step aside.'],
    ],
  ),
  bank(
    'collaboration',
    false,
    [
      ['col1', 'I get more out of working towards a shared goal than out of beating others.'],
      ['col2', 'I like it when a group wins together.'],
    ],
    [
      ['col4', 'Playing in a team mostly slows me down.'],
      ['col5', 'Sharing a win with others makes it feel smaller.'],
    ],
  ),
  bank(
    'competitive_affect',
    false,
    [
      ['caf1', 'Losing a match can spoil my mood for hours.'],
      ['caf2', 'Winning gives me a rush like little else does.'],
    ],
    [
      ['caf3', 'Whether I win or lose leaves me emotionally unmoved.'],
      ['caf4', 'I forget about a defeat as soon as the game is over.'],
    ],
  ),
  bank(
    'autonomy',
    false,
    [
      ['aut1', 'I like to decide for myself how to do things.'],
      ['ind1', 'I prefer to find my own way rather than follow a group.'],
    ],
    [
      ['dep2', 'I need encouragement from others to keep going.'],
      ['aut4', 'I prefer someone else to decide how I should go about a task.'],
    ],
  ),
  bank(
    'dominance',
    false,
    [
      ['dom1', 'In a group, I like to be the one calling the shots.'],
      ['asr4', 'I take charge.'],
    ],
    [
      ['mdo3', 'I would rather follow than lead.'],
      ['asr5', 'I keep my opinions to myself in a group discussion.'],
    ],
  ),
  bank(
    'mastery',
    false,
    [
      ['mas1', 'I enjoy practising something until I am really good at it.'],
      ['etl1', 'I look for chances to learn something new.'],
    ],
    [
      ['mas3', 'Once I can do something passably, I stop trying to improve.'],
      ['etl3', 'Learning new things feels like a chore to me.'],
    ],
  ),
  bank(
    'achievement',
    false,
    [
      ['ach2', 'I want to excel at whatever I take on.'],
      ['pip1', 'I feel proud after a productive day.'],
    ],
    [
      ['ach3', 'Doing just enough to get by is fine with me.'],
      ['pip3', 'How much I get done says little about me.'],
    ],
  ),
  bank(
    'self_efficacy',
    false,
    [
      ['cmp2', 'I know how to get things done.'],
      ['cis2', 'I am sure I can succeed at hard tasks if I try.'],
    ],
    [
      ['cmp3', 'I often feel out of my depth.'],
      ['cis3', 'I usually expect things to go wrong for me.'],
    ],
  ),
  bank(
    'self_discipline',
    false,
    [
      ['sdi1', 'Once I start a task, I keep at it until it is finished.'],
      ['sco1', 'I can resist distractions when I need to focus.'],
    ],
    [
      ['sdi3', 'I put off chores until the last possible moment.'],
      ['sco3', 'I give in to temptations easily.'],
    ],
  ),
  bank(
    'purpose',
    false,
    [
      ['pur1', 'What I do every day feels meaningful.'],
      ['pur2', 'I want my efforts to make a difference beyond myself.'],
    ],
    [
      ['pur3', 'I often wonder what the point of my activities is.'],
      ['pur4', 'I drift from day to day without a clear direction.'],
    ],
  ),
  bank(
    'individualism',
    false,
    [
      ['idv1', 'People should look after themselves first and their group second.'],
      ['idv2', 'My personal goals matter more to me than those of my community.'],
    ],
    [
      ['idv4', 'I would give up a personal wish for the good of my family.'],
      ['idv5', 'The needs of my group come before my own.'],
    ],
  ),
  bank(
    'indulgence',
    false,
    [
      ['idg1', 'Having fun is one of the most important things in life.'],
      ['idg4', 'I allow myself treats whenever I feel like it.'],
    ],
    [
      ['idg3', 'People should keep their desires firmly in check.'],
      ['idg5', 'Spending time on pleasure is a waste.'],
    ],
  ),
  bank(
    'long_term',
    false,
    [
      ['lto1', 'I am willing to give up something now to gain more in the future.'],
      ['lto2', 'Planning for years ahead comes naturally to me.'],
    ],
    [
      ['lto3', 'I live for today and let tomorrow take care of itself.'],
      ['lto4', 'Enjoying things now matters more to me than saving for later.'],
    ],
  ),
  bank(
    'masculinity',
    false,
    [
      ['mscl4', 'Winning is what life is mostly about.'],
      ['mscl5', 'You have to be tough to get ahead in life.'],
    ],
    [
      ['mscl3', 'Caring for others matters more than getting ahead.'],
      ['mscl6', 'Getting along with people matters more than being the best.'],
    ],
  ),
  bank(
    'power_distance',
    false,
    [
      ['pdi1', 'People in charge should not be questioned by those below them.'],
      ['pdi2', 'It is natural that some people have much more power than others.'],
    ],
    [
      ['pdi4', 'Leaders and the people they lead should be treated as equals.'],
      ['pdi5', 'Anyone should be able to challenge a decision made by those in authority.'],
    ],
  ),
  bank(
    'uncertainty_avoidance',
    false,
    [
      ['uav1', 'I feel uneasy when I do not know what will happen next.'],
      ['uav2', 'Clear rules make me feel comfortable.'],
    ],
    [
      ['uav3', 'I enjoy situations where the outcome is unclear.'],
      ['uav4', 'I can live with not knowing how things will turn out.'],
    ],
  ),
  bank(
    'activity',
    false,
    [
      ['act1', 'My days are usually packed with things to do.'],
      ['act4', 'I am always on the go.'],
    ],
    [
      ['act3', 'I prefer a slow, relaxed pace of life.'],
      ['act5', 'I like to take it easy.'],
    ],
  ),
  bank(
    'warmth',
    false,
    [
      ['wrm1', 'I make friends easily.'],
      ['wrm2', 'I show people that I care about them.'],
    ],
    [
      ['wrm3', 'I keep people at a distance.'],
      ['wrm4', 'I find it hard to warm up to new people.'],
    ],
  ),
  bank(
    'compensatory_effort',
    false,
    [
      ['cef1', 'When I am afraid of failing, I prepare twice as hard.'],
      ['cef4', 'I go over everything again so that nothing can go wrong.'],
    ],
    [
      ['cef3', 'Even with a lot at stake, I do not prepare more than usual.'],
      ['cef5', 'Worrying about a bad result does not make me try any harder.'],
    ],
  ),
  bank(
    'difficult_tasks',
    false,
    [
      ['dif1', 'I choose the hard version of a task when given the choice.'],
      ['dif2', 'A problem that seems almost impossible attracts me.'],
    ],
    [
      ['dif3', 'I prefer tasks I know I can easily finish.'],
      ['dif4', 'I play on the easiest setting when I can.'],
    ],
  ),
  bank(
    'engagement',
    false,
    [
      ['eng1', 'I throw myself fully into what I am doing.'],
      ['flo1', 'I get so absorbed in an activity that I lose track of time.'],
    ],
    [
      ['eng3', 'I often go through the motions without really caring.'],
      ['flo3', 'My mind wanders even when I do things I like.'],
    ],
  ),
  bank(
    'fearlessness',
    false,
    [
      ['fea1', 'The thought of failing does not stop me from trying.'],
      ['fea2', 'I stay calm when my performance is being judged.'],
    ],
    [
      ['fea3', 'I avoid trying things where I might embarrass myself.'],
      ['fea4', 'Before a big test of my skills, I am scared of failing.'],
    ],
  ),
  bank(
    'flexibility',
    false,
    [
      ['flx1', 'I adapt quickly when plans change.'],
      ['flx2', 'I enjoy switching between different kinds of tasks.'],
    ],
    [
      ['flx3', 'Unexpected changes throw me off for a long time.'],
      ['flx4', 'I get annoyed when I have to change my plans.'],
    ],
  ),
  bank(
    'goal_setting',
    false,
    [
      ['gol1', 'I set myself clear goals.'],
      ['gol4', 'I break big aims into smaller steps.'],
    ],
    [
      ['gol3', 'I rarely think about what I want to achieve.'],
      ['gol5', 'I take things as they come instead of aiming for something.'],
    ],
  ),
  bank(
    'internality',
    false,
    [
      ['inl1', 'My results depend mostly on my own effort.'],
      ['inl2', 'When I fail, I look at what I could have done differently.'],
    ],
    [
      ['inl3', 'Whether I succeed is mostly a matter of luck.'],
      ['inl4', 'Other people decide most of what happens to me.'],
    ],
  ),
  bank(
    'status',
    false,
    [
      ['sta1', 'I want to reach a position that others look up to.'],
      ['sta4', 'Climbing to a high rank motivates me.'],
    ],
    [
      ['sta3', 'What others think of my position means nothing to me.'],
      ['sta5', 'I do not care about being seen as important.'],
    ],
  ),
  bank(
    'anxiety',
    true,
    [
      ['anx1', 'I worry about things that might go wrong.'],
      ['anx4', 'I get stressed out easily.'],
    ],
    [
      ['anx3', 'I rarely feel anxious.'],
      ['anx5', 'I am relaxed most of the time.'],
    ],
  ),
  bank(
    'impulsiveness',
    false,
    [
      ['imp1', 'I act on a whim and think about it later.'],
      ['imp2', 'I find it hard to stop myself from buying things I want.'],
    ],
    [
      ['imp3', 'I think carefully before I do anything.'],
      ['imp4', 'I can control my cravings.'],
    ],
  ),
  bank(
    'vulnerability',
    false,
    [
      ['vul4', 'I panic easily.'],
      ['vul2', 'Under pressure, I feel I cannot cope.'],
    ],
    [
      ['vul3', 'I stay level-headed in a crisis.'],
      ['vul5', 'I can handle a lot of things going wrong at once.'],
    ],
  ),
  bank(
    'novelty',
    false,
    [
      ['opa1', 'I like trying things I have never done before.'],
      ['opa4', 'I like to visit new places.'],
    ],
    [
      ['opa3', 'I stick to the routines I know.'],
      ['opa5', 'At a restaurant I know, I order the same dish every time.'],
    ],
  ),
  bank(
    'empathy',
    false,
    [
      ['emp1', 'I can easily imagine how another person feels.'],
      ['emp2', 'Stories about other people move me.'],
    ],
    [
      ['emp3', 'I find it hard to understand why others get upset.'],
      ['emp4', "Other people's feelings leave me cold."],
    ],
  ),
  bank(
    'fantasy',
    false,
    [
      ['fan4', 'I love to daydream.'],
      ['fan2', 'I enjoy letting my imagination run free.'],
    ],
    [
      ['fan3', 'I keep my thoughts on what is real and practical.'],
      ['fan5', 'Made-up worlds do not interest me.'],
    ],
  ),
  bank(
    'reciprocity',
    false,
    [
      ['bre1', 'In my relationships, giving and receiving are in balance.'],
      ['bre4', 'I ask for help when I need it.'],
    ],
    [
      ['bre3', 'I keep giving to people who never give anything back.'],
      ['bre5', 'I find it hard to accept help from others.'],
    ],
  ),
  bank(
    'perseverance',
    false,
    [
      ['per1', 'I keep going after setbacks.'],
      ['grt1', 'I stay committed to long-term goals for years.'],
    ],
    [
      ['per3', 'If something does not work quickly, I move on to something else.'],
      ['grt4', 'I lose interest in a goal after a few weeks.'],
    ],
  ),
  bank(
    'physical_activity',
    true,
    [
      ['pal4', 'I exercise several times a week.'],
      ['pal5', 'I walk whenever I can.'],
    ],
    [
      ['pal3', 'Most of my day is spent sitting down.'],
      ['pal6', 'I rarely do anything that makes me out of breath.'],
    ],
  ),
  bank(
    'physical_health',
    true,
    [
      ['pwb4', 'I feel healthy.'],
      ['pwb2', 'My body lets me do the things I want to do.'],
    ],
    [
      ['pwb5', 'Pain often gets in my way.'],
      ['pwb6', 'I often feel physically worn out.'],
    ],
  ),
  bank(
    'psychological_health',
    true,
    [
      ['psy2', 'I feel good about who I am.'],
      ['psy4', 'Most days, I enjoy my life.'],
    ],
    [
      ['psy5', 'I often feel down.'],
      ['psy6', 'I feel that my life is going nowhere.'],
    ],
  ),
  bank(
    'sleep',
    true,
    [
      ['slp2', 'I fall asleep easily at night.'],
      ['slp4', 'I get enough sleep.'],
    ],
    [
      ['slp5', 'I often lie awake at night.'],
      ['slp6', 'I feel tired during the day because I slept badly.'],
    ],
  ),
  bank(
    'social_health',
    true,
    [
      ['swb1', 'I feel I belong to a community.'],
      ['swb2', 'I have people I can count on.'],
    ],
    [
      ['swb3', 'I often feel lonely.'],
      ['swb4', 'I feel left out by the people around me.'],
    ],
  ),
];

/** Every scored statement, in bank order. */
export const ITEMS: readonly Item[] = SCALES.flatMap((s) => s.items);

const SENSITIVE_ITEMS: ReadonlySet<string> = new Set(
  SCALES.filter((s) => s.sensitive).flatMap((s) => s.items.map((i) => i.id)),
);

/** Whether the statement may be answered "prefer not to answer". */
export function isSkippable(itemId: string): boolean {
  return SENSITIVE_ITEMS.has(itemId);
}

/**
 * Attention checks: each asks for one specific answer; any other answer disqualifies. They sit
 * among the statements of a few pages (survey-layout.ts) and are not scored.
 */
export interface AttentionCheck {
  id: string;
  text: string;
  /** The answer the statement asks for, 1–5. */
  expected: number;
}

export const ATTENTION_CHECKS: readonly AttentionCheck[] = [
  {
    id: 'chk1',
    text: "To show you are reading carefully, please select 'Agree' for this statement.",
    expected: 4,
  },
  {
    id: 'chk2',
    text: "This is a check that you are paying attention: please select 'Strongly disagree'.",
    expected: 1,
  },
  {
    id: 'chk3',
    text: "Please select 'Neither agree nor disagree' for this statement.",
    expected: 3,
  },
];

/** The five answer labels, 1 … 5. */
export const LIKERT_LABELS = [
  'Strongly disagree',
  'Disagree',
  'Neither agree nor disagree',
  'Agree',
  'Strongly agree',
] as const;

/** The label of the sixth option on sensitive statements. */
export const PREFER_NOT_LABEL = 'Prefer not to answer';

/** How the `personality` domains aggregate the facet categories: each domain is its category's mean. */
export const PERSONALITY_DOMAINS = {
  Agreeableness: 'agreeableness',
  Conscientiousness: 'conscientiousness',
  Extraversion: 'extraversion',
  Neuroticism: 'neuroticism',
  Openness: 'openness',
} as const satisfies Record<TraitName<'personality'>, TraitCategory>;
