/** Entry of the Deno workers `reproduce` runs experiments on. */
import { serve } from "../core/harness/worker.ts";
import { EXPERIMENTS } from "./mod.ts";

serve(EXPERIMENTS);
