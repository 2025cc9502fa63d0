/** Node-only edge: load a model package from a directory and open it with onnxruntime-node (CLI, tests). */
import { type ModelPackage, loadModelPackage } from './manifest.ts';
import { type FuseModel, loadFuseModel } from './model.ts';
import { getDirPackageFiles } from './package-files-node.ts';
import { getNodeRuntime } from './runtime-node.ts';

export async function loadNodeModel(dir: string, options: { threads?: number } = {}): Promise<{ pkg: ModelPackage; model: FuseModel }> {
  const pkg = await loadModelPackage(getDirPackageFiles(dir));
  const model = await loadFuseModel(pkg, getNodeRuntime(options));
  return { pkg, model };
}
