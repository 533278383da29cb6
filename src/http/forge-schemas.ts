import { Type } from '@sinclair/typebox';

/** A player's progress on each quest: the partner's `/player/progress` and the operator's view alike. */
export const QuestProgressList = Type.Array(
  Type.Object({
    quest_id: Type.String(),
    type: Type.String(),
    current: Type.Number(),
    target: Type.Number(),
    percent: Type.Integer({ description: 'Whole, capped at 100' }),
    completed_at: Type.Union([Type.String(), Type.Null()]),
  }),
);
