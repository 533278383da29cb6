import type { TraitCategory } from './trait-catalogue.js';
import { TRAIT_CATEGORIES } from './trait-catalogue.js';

/**
 * The survey's item bank: Likert statements written for Traitforge, three per measured trait,
 * each scale with at least one reverse-keyed statement (agreeing with it means *less* of the
 * trait). Answers are 1 (strongly disagree) … 5 (strongly agree).
 *
 * Ids are permanent: stored answers refer to them. Changing a statement's meaning means a new id.
 * `personality` is not measured here (its domains aggregate the facet categories), and the
 * `wellBeing` traits Autonomy, Mastery and Purpose are the `coreMotivations` scales reported twice.
 */

export type TraitName<C extends TraitCategory> = (typeof TRAIT_CATEGORIES)[C][number];

export interface Item {
  /** Stable id, `<scale code><n>`, e.g. `alt1`. */
  id: string;
  text: string;
  /** Reverse-keyed: scored 6 − answer. */
  reverse: boolean;
}

export interface Scale {
  category: TraitCategory;
  trait: string;
  code: string;
  items: readonly Item[];
}

type Statement = readonly [text: string, reverse?: 'R'];

function scale<C extends TraitCategory>(
  category: C,
  trait: TraitName<C>,
  code: string,
  statements: readonly Statement[],
): Scale {
  return {
    category,
    trait,
    code,
    items: statements.map(([text, reverse], i) => ({
      id: `${code}${i + 1}`,
      text,
      reverse: reverse === 'R',
    })),
  };
}

export const SCALES: readonly Scale[] = [
  // agreeableness
  scale('agreeableness', 'Altruism', 'alt', [
    ['I go out of my way to help someone who is having a hard time.'],
    ['Helping other people gives me real satisfaction.'],
    ["Other people's problems are not my business.", 'R'],
  ]),
  scale('agreeableness', 'Modesty', 'mod', [
    ['I would rather let my results speak than talk about them.'],
    ['I like to make sure everyone knows about my successes.', 'R'],
    ['I feel uncomfortable being praised in front of others.'],
  ]),
  scale('agreeableness', 'Trust', 'tru', [
    ['I assume that most people mean well.'],
    ['When a stranger is friendly, I wonder what they want from me.', 'R'],
    ['I find it easy to rely on people I have just met.'],
  ]),

  // communication
  scale('communication', 'Feeler', 'fee', [
    ['When I decide something, how it will affect people matters most to me.'],
    ['I pay close attention to the mood of a conversation.'],
    ['Feelings should be kept out of decisions.', 'R'],
  ]),
  scale('communication', 'Intuitor', 'int', [
    ['I like talking about ideas and possibilities more than details.'],
    ['I often see where a discussion is heading before others do.'],
    ['I lose interest when people talk about what might happen someday.', 'R'],
  ]),
  scale('communication', 'Sensor', 'sen', [
    ['I want concrete facts and examples before I believe something.'],
    ['I prefer instructions that go step by step.'],
    ['Details bore me; I only care about the big picture.', 'R'],
  ]),
  scale('communication', 'Thinker', 'thi', [
    ['I judge a plan by whether its logic holds up.'],
    ['In a disagreement, I focus on the arguments rather than on the people.'],
    ['I go with my heart even when the facts point the other way.', 'R'],
  ]),

  // competitiveness
  scale('competitiveness', 'Avoidant', 'avo', [
    ['I stay away from situations where I have to compete with others.'],
    ['When a contest gets serious, I would rather step aside.'],
    ['I jump at any chance to compete.', 'R'],
  ]),
  scale('competitiveness', 'Collaborative', 'col', [
    ['I get more out of working towards a shared goal than beating others.'],
    ['I like it when a group wins together.'],
    ['Working in a team mostly slows me down.', 'R'],
  ]),
  scale('competitiveness', 'Competitive affectivity', 'caf', [
    ['Losing a match can spoil my mood for hours.'],
    ['Winning gives me a rush like little else does.'],
    ['Whether I win or lose leaves me emotionally unmoved.', 'R'],
  ]),
  scale('competitiveness', 'Dependent', 'dep', [
    ['I perform better when someone guides me.'],
    ['I need encouragement from others to keep going.'],
    ['I do my best work without anyone backing me up.', 'R'],
  ]),
  scale('competitiveness', 'Dominant', 'dom', [
    ['In a group, I like to be the one calling the shots.'],
    ['I enjoy having influence over what others do.'],
    ['I am happy to let someone else take control.', 'R'],
  ]),
  scale('competitiveness', 'General competitiveness', 'gco', [
    ['I turn everyday things into a competition.'],
    ['I enjoy comparing my results with those of others.'],
    ['I do not care how I rank compared to other people.', 'R'],
  ]),
  scale('competitiveness', 'Independent', 'ind', [
    ['I prefer to find my own way rather than follow a group.'],
    ['I like to reach my goals through my own efforts alone.'],
    ['I feel lost when I have to work things out by myself.', 'R'],
  ]),
  scale('competitiveness', 'Personal enhancement', 'pen', [
    ['I compete mainly to become better than I was.'],
    ['Beating my own best score matters more to me than beating others.'],
    ['Competing is only worthwhile if I come out on top of others.', 'R'],
  ]),

  // conscientiousness
  scale('conscientiousness', 'Achievement striving', 'ach', [
    ['I set high standards for myself and work hard to meet them.'],
    ['I want to excel at whatever I take on.'],
    ['Doing just enough to get by is fine with me.', 'R'],
  ]),
  scale('conscientiousness', 'Competence', 'cmp', [
    ['I handle most tasks that come my way well.'],
    ['I know how to get things done.'],
    ['I often feel out of my depth.', 'R'],
  ]),
  scale('conscientiousness', 'Self-discipline', 'sdi', [
    ['Once I start a task, I keep at it until it is finished.'],
    ['I do what needs doing even when I do not feel like it.'],
    ['I put off chores until the last possible moment.', 'R'],
  ]),

  // coreMotivations (reported in wellBeing too)
  scale('coreMotivations', 'Autonomy', 'aut', [
    ['I like to decide for myself how to do things.'],
    ['I feel free to choose what I spend my time on.'],
    ['Most of what I do is decided for me by others.', 'R'],
  ]),
  scale('coreMotivations', 'Mastery', 'mas', [
    ['I enjoy practising something until I am really good at it.'],
    ['Getting better at a skill is rewarding in itself.'],
    ['Once I can do something passably, I stop trying to improve.', 'R'],
  ]),
  scale('coreMotivations', 'Purpose', 'pur', [
    ['What I do every day feels meaningful.'],
    ['I want my efforts to make a difference beyond myself.'],
    ['I often wonder what the point of my activities is.', 'R'],
  ]),

  // culture
  scale('culture', 'Individualism', 'idv', [
    ['People should look after themselves first and their group second.'],
    ['My personal goals matter more to me than those of my community.'],
    ['I would give up a personal wish for the good of my family or group.', 'R'],
  ]),
  scale('culture', 'Indulgence', 'idg', [
    ['Having fun is one of the most important things in life.'],
    ['I treat myself when I feel like it, without guilt.'],
    ['People should keep their desires firmly in check.', 'R'],
  ]),
  scale('culture', 'Long term orientation', 'lto', [
    ['I am willing to give up something now to gain more in the future.'],
    ['Planning for years ahead comes naturally to me.'],
    ['I live for today and let tomorrow take care of itself.', 'R'],
  ]),
  scale('culture', 'Masculinity', 'mscl', [
    ['Success and winning are what life is mostly about.'],
    ['It is important to be tough and assertive to get ahead.'],
    ['Caring for others matters more than getting ahead.', 'R'],
  ]),
  scale('culture', 'Power distance', 'pdi', [
    ['People in charge should not be questioned by those below them.'],
    ['It is natural that some people have much more power than others.'],
    ['Bosses and their staff should be treated as equals.', 'R'],
  ]),
  scale('culture', 'Uncertainty avoidance', 'uav', [
    ['I feel uneasy when I do not know what will happen next.'],
    ['Clear rules make me feel comfortable.'],
    ['I enjoy situations where the outcome is unclear.', 'R'],
  ]),

  // extraversion
  scale('extraversion', 'Activity', 'act', [
    ['My days are usually packed with things to do.'],
    ['I like to keep moving and stay busy.'],
    ['I prefer a slow, relaxed pace of life.', 'R'],
  ]),
  scale('extraversion', 'Assertiveness', 'asr', [
    ['I speak up when I disagree with a group.'],
    ['I take charge when nobody else does.'],
    ['I keep my opinions to myself to avoid attention.', 'R'],
  ]),
  scale('extraversion', 'Warmth', 'wrm', [
    ['I make friends easily.'],
    ['I show people that I care about them.'],
    ['I keep people at a distance.', 'R'],
  ]),

  // motivations
  scale('motivations', 'Compensatory effort', 'cef', [
    ['When I am afraid of failing, I prepare twice as hard.'],
    ['I put in extra hours to be sure nothing goes wrong.'],
    ['Even with a lot at stake, I do not prepare more than usual.', 'R'],
  ]),
  scale('motivations', 'Competitiveness', 'mcm', [
    ['I feel driven when others are doing better than me.'],
    ['Knowing that I am up against someone makes me try harder.'],
    ["Other people's performance has no effect on my effort.", 'R'],
  ]),
  scale('motivations', 'Confidence in success', 'cis', [
    ['When I start something new, I expect it to go well.'],
    ['I am sure I can succeed at hard tasks if I try.'],
    ['I usually expect things to go wrong for me.', 'R'],
  ]),
  scale('motivations', 'Difficult tasks', 'dif', [
    ['I choose the hard version of a task when given the choice.'],
    ['A problem that seems almost impossible attracts me.'],
    ['I prefer tasks I know I can easily finish.', 'R'],
  ]),
  scale('motivations', 'Dominance', 'mdo', [
    ['I like being the person others turn to for decisions.'],
    ['Leading others motivates me to do my best.'],
    ['I would rather follow than lead.', 'R'],
  ]),
  scale('motivations', 'Eagerness to learn', 'etl', [
    ['I look for chances to learn something new.'],
    ['I read up on topics just because they interest me.'],
    ['Learning new things feels like a chore to me.', 'R'],
  ]),
  scale('motivations', 'Engagement', 'eng', [
    ['I throw myself fully into what I am doing.'],
    ['I feel energised by the activities I take part in.'],
    ['I often go through the motions without really caring.', 'R'],
  ]),
  scale('motivations', 'Fearlessness', 'fea', [
    ['The thought of failing does not stop me from trying.'],
    ['I stay calm when my performance is being judged.'],
    ['I avoid trying things where I might embarrass myself.', 'R'],
  ]),
  scale('motivations', 'Flexibility', 'flx', [
    ['I adapt quickly when plans change.'],
    ['I enjoy switching between different kinds of tasks.'],
    ['Unexpected changes throw me off for a long time.', 'R'],
  ]),
  scale('motivations', 'Flow', 'flo', [
    ['I get so absorbed in an activity that I lose track of time.'],
    ['When I am focused, everything else fades into the background.'],
    ['My mind wanders even when I do things I like.', 'R'],
  ]),
  scale('motivations', 'Goal setting', 'gol', [
    ['I set myself clear goals.'],
    ['I break big aims into smaller steps with deadlines.'],
    ['I rarely think about what I want to achieve.', 'R'],
  ]),
  scale('motivations', 'Independence', 'mid', [
    ['I work best when nobody tells me how to do my job.'],
    ['I like to take full responsibility for my own tasks.'],
    ['I prefer someone else to decide how my work should be done.', 'R'],
  ]),
  scale('motivations', 'Internality', 'inl', [
    ['My results depend mostly on my own effort.'],
    ['When I fail, I look at what I could have done differently.'],
    ['Whether I succeed is mostly a matter of luck.', 'R'],
  ]),
  scale('motivations', 'Persistence', 'per', [
    ['I keep going after setbacks.'],
    ['I can work on one problem for a long time without giving up.'],
    ['If something does not work quickly, I move on to something else.', 'R'],
  ]),
  scale('motivations', 'Pride in productivity', 'pip', [
    ['I feel proud after a productive day.'],
    ['Getting a lot done is a big part of how I value myself.'],
    ['How much I get done says little about me.', 'R'],
  ]),
  scale('motivations', 'Self-control', 'sco', [
    ['I can resist distractions when I need to focus.'],
    ['I finish my duties before I allow myself fun.'],
    ['I give in to temptations easily.', 'R'],
  ]),
  scale('motivations', 'Status orientation', 'sta', [
    ['I want to reach a position that others look up to.'],
    ['Titles, ranks and recognition motivate me.'],
    ['What others think of my position means nothing to me.', 'R'],
  ]),

  // neuroticism
  scale('neuroticism', 'Anxiety', 'anx', [
    ['I worry about things that might go wrong.'],
    ['I often feel tense or nervous.'],
    ['I rarely feel anxious.', 'R'],
  ]),
  scale('neuroticism', 'Impulsiveness', 'imp', [
    ['I act on a whim and think about it later.'],
    ['I find it hard to stop myself from buying things I want.'],
    ['I think carefully before I do anything.', 'R'],
  ]),
  scale('neuroticism', 'Vulnerability', 'vul', [
    ['I panic when things go badly at once.'],
    ['Under pressure, I feel I cannot cope.'],
    ['I stay level-headed in a crisis.', 'R'],
  ]),

  // openness
  scale('openness', 'Actions', 'opa', [
    ['I like trying things I have never done before.'],
    ['I would rather visit a new place than a familiar one.'],
    ['I stick to the routines I know.', 'R'],
  ]),
  scale('openness', 'Empathy', 'emp', [
    ['I can easily imagine how another person feels.'],
    ['Stories about other people move me.'],
    ['I find it hard to understand why others get upset.', 'R'],
  ]),
  scale('openness', 'Fantasy', 'fan', [
    ['I often daydream about other worlds or lives.'],
    ['I enjoy letting my imagination run free.'],
    ['I keep my thoughts on what is real and practical.', 'R'],
  ]),

  // wellBeing (Autonomy, Mastery and Purpose come from coreMotivations)
  scale('wellBeing', 'Bounded reciprocity', 'bre', [
    ['In my relationships, giving and receiving are in balance.'],
    ['I help others, but I also ask for help when I need it.'],
    ['I keep giving to people who never give anything back.', 'R'],
  ]),
  scale('wellBeing', 'Grit', 'grt', [
    ['I stay committed to long-term goals for years.'],
    ['Setbacks do not make me drop things I care about.'],
    ['My interests change from one month to the next.', 'R'],
  ]),
  scale('wellBeing', 'Physical activity level', 'pal', [
    ['I exercise or play sports several times a week.'],
    ['I walk or cycle whenever I can.'],
    ['Most of my day is spent sitting down.', 'R'],
  ]),
  scale('wellBeing', 'Physical well-being', 'pwb', [
    ['I feel healthy and full of energy.'],
    ['My body lets me do the things I want to do.'],
    ['Aches or illness often get in my way.', 'R'],
  ]),
  scale('wellBeing', 'Psychological well-being', 'psy', [
    ['I am generally satisfied with my life.'],
    ['I feel good about who I am.'],
    ['I often feel down or empty.', 'R'],
  ]),
  scale('wellBeing', 'Resilience', 'res', [
    ['I bounce back quickly after hard times.'],
    ['Difficult experiences have made me stronger.'],
    ['It takes me a long time to recover from a disappointment.', 'R'],
  ]),
  scale('wellBeing', 'Sleep', 'slp', [
    ['I usually wake up feeling rested.'],
    ['I fall asleep easily at night.'],
    ['I often lie awake or sleep badly.', 'R'],
  ]),
  scale('wellBeing', 'Social well-being', 'swb', [
    ['I feel I belong to a community.'],
    ['I have people I can count on.'],
    ['I often feel lonely.', 'R'],
  ]),
];

/**
 * Attention checks: each asks for one specific answer; any other answer disqualifies. They sit
 * among the items on the pages named by `ATTENTION_PAGES` and are not scored.
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

/** How the `personality` domains aggregate the facet categories: each domain is its category's mean. */
export const PERSONALITY_DOMAINS = {
  Agreeableness: 'agreeableness',
  Conscientiousness: 'conscientiousness',
  Extraversion: 'extraversion',
  Neuroticism: 'neuroticism',
  Openness: 'openness',
} as const satisfies Record<TraitName<'personality'>, TraitCategory>;

/** The wellBeing traits that are the coreMotivations scales reported a second time. */
export const SHARED_TRAITS = ['Autonomy', 'Mastery', 'Purpose'] as const;
