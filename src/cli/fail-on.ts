/** `audit --fail-on`: the least severe finding that makes the exit code 1 (`never`: none does). */
export const FAIL_ON = ['info', 'warning', 'critical', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];
