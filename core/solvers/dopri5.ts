/**
 * Dormand-Prince 5(4) (scipy's RK45): seven stages, the fifth-order solution, an embedded
 * fourth-order one for the error estimate, and the last stage F(t + h, y_next) reused as the next
 * step's first (first same as last), so six new evaluations per step.
 */
import type { Tableau } from "./tableau.ts";

/** Dormand-Prince's tableau; `e` = fifth-order weights minus the embedded fourth-order ones. */
export const DOPRI5: Tableau = {
  name: "dopri5",
  order: 5,
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  ],
  b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  e: [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40],
};
