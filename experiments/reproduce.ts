/** Entry point of `deno task reproduce`: run the experiments, write reports, check goldens. */
import { main } from "../core/harness/cli.ts";
import { EXPERIMENTS } from "./mod.ts";

Deno.exit(await main(Deno.args, EXPERIMENTS, new URL("./worker.ts", import.meta.url).href));
