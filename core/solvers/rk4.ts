/**
 * The classical Runge-Kutta method: stages at t, t + h/2 (twice) and t + h, weights 1/6, 1/3, 1/3,
 * 1/6. Fourth order, four evaluations per step.
 */
import type { Tableau } from "./tableau.ts";

/** RK4's tableau. */
export const RK4: Tableau = {
  name: "rk4",
  order: 4,
  c: [0, 1 / 2, 1 / 2, 1],
  a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
};
