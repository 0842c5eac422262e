/**
 * Heun's method (the explicit trapezoid): k_1 = F(t, y), k_2 = F(t + h, y + h k_1),
 * y_next = y + h (k_1 + k_2) / 2. Second order, two evaluations per step.
 */
import type { Tableau } from "./tableau.ts";

/** Heun's tableau. */
export const HEUN: Tableau = { name: "heun", order: 2, c: [0, 1], a: [[], [1]], b: [1 / 2, 1 / 2] };
