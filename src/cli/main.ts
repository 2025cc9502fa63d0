/**
 * FuseScope command-line interface: the same src/core pipeline as the browser, in Node.
 * Each command lives in src/cli/commands/<name>.ts and exports `run(argv): Promise<number>`.
 */
type Command = { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  info: { summary: 'print slide metadata as JSON', load: () => import('./commands/info.ts') },
  region: { summary: 'write a region of a slide as PNG (openslide read_region semantics)', load: () => import('./commands/region.ts') },
  st: { summary: 'read spatial-transcriptomics files: summary JSON or one gene per spot as CSV', load: () => import('./commands/st.ts') },
  predict: { summary: 'score ST spots with the histology, gene and fused heads', load: () => import('./commands/predict.ts') },
  heatmap: { summary: 'dense histology-only cancer heatmap and regions over a slide', load: () => import('./commands/heatmap.ts') },
  evaluate: { summary: "AUC, AP and F1 of predict's scores against spot labels or annotations", load: () => import('./commands/evaluate.ts') },
  markers: { summary: 'marker genes of the cancer calls (or a labelled class) against the other spots', load: () => import('./commands/markers.ts') },
  cohort: { summary: 'predict, heatmap, evaluate and markers for every case of a table, one summary', load: () => import('./commands/cohort.ts') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: fusescope <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`fusescope: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`fusescope ${name}: ${message.split('\n')[0]}\n`);
    if (process.env.FUSESCOPE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
