/**
 * The static SVG of a chart depends on its spec alone: vega's process-wide clip counter is
 * renumbered per SVG, so a chart drawn after others is the same bytes as drawn first.
 */
import assert from "node:assert/strict";
import { numberClipsFromOne, renderSvg } from "../core/report/render.ts";

Deno.test('numberClipsFromOne: clip names after id=" or url(# renumbered from 1 in order of appearance; nothing else moves', () => {
  const svg = '<clipPath id="clip54"><rect/></clipPath><g clip-path="url(#clip54)"/>' +
    '<clipPath id="clip7"/><path clip-path="url(#clip7)"/><text>clip99 clips id="clipx" ' +
    'url(#clip)</text><g clip-path="url(#clip54)"/>clip';
  assert.equal(
    numberClipsFromOne(svg),
    '<clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"/>' +
      '<clipPath id="clip2"/><path clip-path="url(#clip2)"/><text>clip99 clips id="clipx" ' +
      'url(#clip)</text><g clip-path="url(#clip1)"/>clip',
  );
  assert.equal(numberClipsFromOne(""), "");
  assert.equal(numberClipsFromOne('id="clip3'), 'id="clip1');
});

Deno.test("renderSvg: a clipped chart is the same bytes drawn first and after other charts", async () => {
  const spec = (n: number) => ({
    data: { values: Array.from({ length: n }, (_, i) => ({ x: i, y: (i * 7) % 5 })) },
    mark: { type: "point", clip: true },
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative" },
    },
  });
  const first = await renderSvg(spec(4) as never);
  await renderSvg(spec(9) as never);
  await renderSvg(spec(2) as never);
  assert.ok(first.includes('id="clip1"'), "the chart has a clip path, numbered 1");
  assert.equal(await renderSvg(spec(4) as never), first);
});
