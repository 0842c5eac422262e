/**
 * Shards that split a run: a run too long for one shard runs as groups of its parts on several
 * shards, and the merge assembles it from their outputs into the serial run's bytes, refusing a
 * part that is missing, doubled, moved or changed before it writes anything.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/harness/cli.ts";
import { task } from "./tools/task.ts";
import { siteDiff, siteFiles } from "./tools/site.ts";

Deno.test({
  name:
    "a run split over shards (score-fields' four levels in two shards) is assembled by merge, byte for byte the serial run",
  async fn() {
    /** score-fields' quick run on one worker into `out`, with `extra` flags. */
    const scoreFields = (out: string, ...extra: string[]) =>
      task([
        "reproduce",
        "--only",
        "score-fields",
        "--profile",
        "quick",
        "--workers",
        "1",
        ...extra,
        "--out",
        out,
      ]);
    const serial = "reports/test-split-serial";
    const r = await scoreFields(serial, "--ci=true");
    assert.equal(r.code, 0, `serial:\n${r.stdout}\n${r.stderr}`);
    const dirs = [1, 2].map((i) => `reports/test-split-${i}`);
    const shards = await Promise.all(
      dirs.map((d, i) => scoreFields(d, "--shard", `${i + 1}/2`, "--ci=true")),
    );
    for (const [i, r] of shards.entries()) {
      assert.equal(r.code, 0, `shard ${i + 1}:\n${r.stdout}\n${r.stderr}`);
      assert.match(
        r.stdout,
        new RegExp(`shard ${i + 1}/2: 0 of 1 runs, and 2 parts of 1 split run`),
      );
    }
    const merged = "reports/test-split-merged";
    const m = await task(["merge", ...dirs, "--out", merged, "--ci=true"]);
    assert.equal(m.code, 0, `merge:\n${m.stdout}\n${m.stderr}`);
    assert.match(m.stdout, /1 runs into .* \(1 assembled from their shards' parts\)/);
    const diff = siteDiff(
      await siteFiles(join(PROJECT_ROOT, serial, "score-fields")),
      await siteFiles(join(PROJECT_ROOT, merged, "score-fields")),
    );
    assert.deepEqual(diff, [], "the assembled run = the serial run (timing aside)");
    const summary = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, merged, "summary.json")));
    assert.equal(summary.experiments[0].verdict, "bit-exact");
    assert.deepEqual(Object.keys(summary.experiments[0].partSeconds).sort(), [
      "0.0245",
      "0.532",
      "0.932",
      "5",
    ]);

    // Refusals, each before anything is written: a part missing, a part twice, a part whose bytes
    // changed, a part listed outside its run's folder.
    const refused = async (args: string[], re: RegExp) => {
      const r = await task(["merge", ...args, "--out", "reports/test-split-refused"]);
      assert.equal(r.code, 2, `${args.join(" ")}: exit 2\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, re);
      await assert.rejects(Deno.stat(join(PROJECT_ROOT, "reports", "test-split-refused")));
    };
    /** A fresh copy of the shard folder `from` at `to`. */
    const copy = async (from: string, to: string) => {
      await Deno.remove(to, { recursive: true }).catch(() => {});
      const cp = await new Deno.Command("cp", { args: ["-r", join(PROJECT_ROOT, from), to] })
        .output();
      assert.ok(cp.success);
    };
    const forged = join(PROJECT_ROOT, "reports", "test-split-forged");
    const forge = async (edit: (s: Record<string, unknown>) => void, bytes?: boolean) => {
      await copy(dirs[1], forged);
      const file = join(forged, "summary.json");
      const s = JSON.parse(await Deno.readTextFile(file));
      edit(s);
      await Deno.writeTextFile(file, JSON.stringify(s));
      if (bytes) {
        const part = join(forged, (s.parts as { file: string }[])[0].file);
        const b = await Deno.readFile(part);
        b[b.length - 1] ^= 1;
        await Deno.writeFile(part, b);
      }
    };
    type Entry = { part: string; folder: string };
    await forge((s) => (s.parts = (s.parts as Entry[]).slice(1)));
    await refused([dirs[0], forged], /parts of run score-fields in no shard: /);
    const first = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, dirs[0], "summary.json")));
    await forge((s) => (s.parts = [...(s.parts as Entry[]), first.parts[0]]));
    await refused([dirs[0], forged], /part \S+ of run score-fields is in two shards/);
    await forge(() => {}, true);
    await refused([dirs[0], forged], /its bytes are not the ones its shard listed/);
    await forge((s) => ((s.parts as Entry[])[0].folder = "ring-demo"));
    await refused([dirs[0], forged], /is not in folder score-fields/);
    // A part file that is a link out of the project, to a copy of its own bytes: never read.
    const outside = await Deno.makeTempDir({ prefix: "scorelab-shard-" });
    try {
      let file = "";
      await forge((s) => (file = (s.parts as { file: string }[])[0].file));
      await Deno.copyFile(join(forged, file), join(outside, "part.v8"));
      await Deno.remove(join(forged, file));
      const ln = await new Deno.Command("ln", {
        args: ["-s", join(outside, "part.v8"), join(forged, file)],
      }).output();
      assert.ok(ln.success);
      await refused(
        [dirs[0], forged],
        /part output .* lies outside the folders this task may read/,
      );
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
    // Shards of another commit: this checkout would assemble them with other code.
    const other = join(PROJECT_ROOT, "reports", "test-split-forged-1");
    await copy(dirs[0], other);
    const recommit = async (dir: string) => {
      const s = JSON.parse(await Deno.readTextFile(join(dir, "summary.json")));
      s.commit = "0".repeat(40);
      await Deno.writeTextFile(join(dir, "summary.json"), JSON.stringify(s));
    };
    await forge(() => {});
    await recommit(forged);
    await recommit(other);
    await refused([other, forged], /split runs are assembled by this checkout, which is at /);
    await Deno.remove(other, { recursive: true });

    // A part that fails fails its shard (exit 1, the error named) and the merged run.
    const bad = await Promise.all(
      dirs.map((d, i) =>
        scoreFields(d, "--set", "score-fields.train.lr=10000", "--shard", `${i + 1}/2`)
      ),
    );
    for (const r of bad) {
      assert.equal(r.code, 1, `a shard with a failed part exits 1\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /score-fields\[\S+\] failed: training diverged at step 1/);
    }
    const mb = await task(["merge", ...dirs, "--out", merged]);
    assert.equal(mb.code, 1, `merge of failed parts exits 1\n${mb.stdout}\n${mb.stderr}`);
    const failed = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, merged, "summary.json")))
      .experiments[0];
    assert.equal(failed.verdict, "failed");
    assert.match(failed.error, /^part 5: training diverged at step 1/);
    for (const d of [...dirs, serial, merged, "reports/test-split-forged"]) {
      await Deno.remove(join(PROJECT_ROOT, d), { recursive: true });
    }
  },
});
