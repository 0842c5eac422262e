/** The terminal board of a multi-worker run: its lines, its ETA, and that it cleans up after itself. */
import assert from "node:assert/strict";
import { Board, clock } from "../core/harness/board.ts";

Deno.test("board: one line per running job and an overall line with an ETA from the cost model", () => {
  let out = "";
  const b = new Board(100, 4, 2, (s) => (out += s));
  b.started("a", 40);
  b.started("b", 30);
  b.progress({ label: "a", phase: "train", done: 50, total: 100, note: "loss 0.5" });
  b.progress({ label: "", phase: "", done: 0, total: 0, line: "[a] train: resumed" });
  b.finished("a");
  const last = out.slice(out.lastIndexOf("\x1b[0J"));
  assert.match(last, /b · starting/);
  assert.match(last, /jobs 1\/4 done · 1 running · 0:00 elapsed · ETA \d+:\d\d/);
  assert.match(out, /\[a\] train: resumed\n/);
  // The ETA: what is left of the cost model (60 s) over 2 workers, at the finished jobs' speed.
  assert.ok(b.eta() <= 30 && b.eta() >= 0, `eta ${b.eta()}`);
  b.close();
  assert.ok(out.endsWith("\x1b[0J"), "the board is erased at the end");
  assert.equal(clock(3725), "1:02:05");
  assert.equal(clock(65), "1:05");
});
