// Placeholder until the info command lands; replaced by its real implementation.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('fusescope info: this command is not available in this build yet\n');
  return 1;
}
