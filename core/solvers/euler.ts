/** Euler's method: y_next = y + h F(t, y). First order, one evaluation per step. */
import type { Tableau } from "./tableau.ts";

/** Euler's tableau. */
export const EULER: Tableau = { name: "euler", order: 1, c: [0], a: [[]], b: [1] };
