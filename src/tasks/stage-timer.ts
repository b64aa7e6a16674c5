/**
 * Where a task's time goes: with `timings: true` an application returns wall-clock milliseconds per
 * stage (retrieval, representation, scoring…), like a search engine's profile API. Off by default,
 * so a plain call pays one branch per stage.
 */
export type StageTimings = Record<string, number>;

export interface StageTimer {
  /** Charges the time since the previous lap (or the start) to `stage`. */
  lap(stage: string): void;
  /** The stages' milliseconds, or undefined when timing is off. */
  result(): StageTimings | undefined;
}

export function createStageTimer(enabled: boolean): StageTimer {
  if (!enabled) return { lap: () => {}, result: () => undefined };
  const timings: StageTimings = {};
  let last = performance.now();
  return {
    lap(stage) {
      const now = performance.now();
      timings[stage] = (timings[stage] ?? 0) + (now - last);
      last = now;
    },
    result: () => ({ ...timings }),
  };
}
