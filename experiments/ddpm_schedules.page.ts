/** The charts and notes of `ddpm-schedules`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { ChainNll } from "../core/recipes/chain_nll.ts";
import type { ChainStudy } from "../core/recipes/ddpm_schedules.ts";
import type { DiscreteSchedule } from "../core/noise/schedules.ts";
import { dataWindow, lineChart, pointRows, round, scatterPanels } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { data: { dataset: string }; chain: { T: number }; ddim: { steps: number[] } };

/** One schedule's results. */
type Studied = { name: string; schedule: DiscreteSchedule; study: ChainStudy };

/** The charts and notes of a run (`reference`: draws of the true law, the background). */
export function ddpmSchedulesPage(
  c: Shown,
  r: {
    studies: Studied[];
    figures: Record<string, number>;
    nll: ChainNll;
    reference: Float32Array;
  },
): { charts: Chart[]; notes: string[] } {
  const f = r.figures;
  const steps = c.ddim.steps;
  const mmdRows = r.studies.flatMap((s) =>
    steps.flatMap((k) => [
      { steps: k, mmd2: f[`mmd2Ddim_${s.name}_K${k}`], chain: `${s.name} · network` },
      { steps: k, mmd2: f[`mmd2DdimExact_${s.name}_K${k}`], chain: `${s.name} · exact ε` },
    ])
  ).filter((row) => row.mmd2 > 0);
  const fewest = Math.min(...steps);
  const samples = r.studies.flatMap((s) => [
    ...pointRows(s.study.ancestral, { panel: `${s.name}: ancestral, ${c.chain.T} steps` }, 1000),
    ...pointRows(
      s.study.ddim.find((d) => d.steps === fewest)!.learned,
      { panel: `${s.name}: DDIM, ${fewest} steps` },
      1000,
    ),
  ]);
  const termRows = r.studies.flatMap((s) =>
    ([["network", s.study.elbo], ["exact ε", s.study.elboExact]] as const).flatMap(([model, e]) =>
      Array.from(e.byTime).slice(1).map((v, i) => ({
        t: i + 1,
        kl: v,
        chain: `${s.name} · ${model}`,
      }))
    )
  ).filter((row) => row.kl > 0);
  const alphaRows = r.studies.flatMap((s) =>
    Array.from(s.schedule.alphaBar).map((a, t) => ({ t, alphaBar: a, schedule: s.name }))
  );
  const n = (v: number) => round(v, 3);
  const cosine = r.studies.find((s) => s.name === "cosine")!.schedule, T = cosine.T;
  return {
    charts: [
      {
        name: "mmd-vs-steps",
        title: "DDIM: quality against the number of steps",
        caption:
          "DDIM (η = 0) on K of the chain's time indices, evenly spaced, with the trained network and " +
          "with the chain's exact ε: the exact curve is the sampler's own error, the gap to it the network's. " +
          "Non-positive MMD² (within the noise floor) are left out of the log scale.",
        spec: lineChart({
          title: "DDIM: MMD² to the data law against K",
          rows: mmdRows,
          x: { field: "steps", title: "steps K", log: true },
          y: { field: "mmd2", title: "MMD²", log: true },
          color: { field: "chain", title: "schedule · model" },
          points: true,
        }),
      },
      {
        name: "samples",
        thumbnail: true,
        title: "Samples of each schedule",
        caption: `Ancestral samples and DDIM with ${fewest} steps, over the true law (grey).`,
        spec: scatterPanels({
          title: "Samples per schedule and sampler",
          rows: samples,
          panelOrder: [...new Set(samples.map((p) => p.panel as string))],
          panelTitle: "sampler",
          window: dataWindow(c.data.dataset),
          background: pointRows(r.reference, {}, 600),
          columns: 2,
        }),
      },
      {
        name: "elbo-terms",
        title: "The ELBO's KL terms by time",
        caption:
          "Mean KL(q(x_{t−1} | x_t, x) ‖ p(x_{t−1} | x_t)) over the test points at each t, for the network " +
          "and for the exact ε (one draw of x_t per point and t, the same for both).",
        spec: lineChart({
          title: "ELBO terms L_t",
          rows: termRows,
          x: { field: "t", title: "time index t" },
          y: { field: "kl", title: "L_t (nats)", log: true },
          color: { field: "chain", title: "schedule · model" },
        }),
      },
      {
        name: "schedules",
        title: "The two schedules",
        caption: "ᾱ_t of seed 004's linear betas and of the cosine schedule with the same T.",
        spec: lineChart({
          title: "ᾱ_t against t",
          rows: alphaRows,
          x: { field: "t", title: "time index t" },
          y: { field: "alphaBar", title: "ᾱ_t", zero: true },
          color: { field: "schedule", title: "schedule" },
        }),
      },
    ],
    notes: [
      `On the same ${r.studies[0].study.elbo.perPoint.length} test points: closed-form −log p ` +
      `${n(r.nll.nllClosedForm!)} nats; PF-ODE NLL of the linear chain ${
        n(r.nll.nll)
      } (exact score ` +
      `${n(r.nll.nllOracle!)}); ELBO of the linear chain ${n(f.elbo_linear)} (exact ε ` +
      `${n(f.elboExact_linear)}), of the cosine chain ${n(f.elbo_cosine)} (exact ε ` +
      `${n(f.elboExact_cosine)}). The ELBO bounds −log p from above even with the exact ε: the ` +
      "reverse steps are Gaussian and the prior ignores x; the PF-ODE NLL is an estimate, not a bound.",
      `DDIM with ${fewest} steps: MMD² ${n(f[`mmd2Ddim_linear_K${fewest}`])} (linear) and ` +
      `${n(f[`mmd2Ddim_cosine_K${fewest}`])} (cosine), against ${n(f.mmd2Ancestral_linear)} and ` +
      `${n(f.mmd2Ancestral_cosine)} for the ${c.chain.T}-step ancestral chain.`,
      `The cosine chain ends near pure noise (prior term ${n(f.elboPrior_cosine)} nats against ` +
      `${n(f.elboPrior_linear)} for the linear one), but its last step has α = ${
        cosine.alpha[T - 1]
          .toExponential(1)
      } and ᾱ = ${cosine.alphaBar[T - 1].toExponential(1)}: an error in ε is ` +
      `multiplied by ${
        Math.round(1 / Math.sqrt(cosine.alpha[T - 1]))
      } in that ancestral step, by ` +
      `${Math.round(1 / Math.sqrt(cosine.alphaBar[T - 1]))} in DDIM's first x̂_0 and enters the ` +
      "ELBO's last KL terms divided by α. The exact ε does not care; a trained network does (compare " +
      "the network and exact-ε curves of the cosine chain).",
    ],
  };
}
