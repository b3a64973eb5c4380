import { join } from 'node:path';
import type { NodeSetFile } from './node-sets.js';

/** The three programs slurm.conf names, as `skypool slurm wrappers` writes them. */
export const PROGRAMS = { resume: 'skypool-slurm-resume', suspend: 'skypool-slurm-suspend', 'resume-fail': 'skypool-slurm-resume-fail' } as const;

/**
 * The slurm.conf lines for the node sets: the power-saving programs and timings, and one
 * `State=CLOUD` node line per node set with its size, so Slurm schedules jobs onto nodes that do
 * not exist yet and asks Skypool for them.
 */
export function slurmConfLines(file: NodeSetFile): string[] {
  const gpus = file.nodeSets.some((set) => set.gpus > 0);
  return [
    `# Skypool node sets of ${file.file}: project ${file.project}, cluster ${file.cluster}`,
    `ResumeProgram=${join(file.programDir, PROGRAMS.resume)}`,
    `SuspendProgram=${join(file.programDir, PROGRAMS.suspend)}`,
    `ResumeFailProgram=${join(file.programDir, PROGRAMS['resume-fail'])}`,
    `ResumeTimeout=${file.resumeTimeoutSeconds}`,
    `SuspendTime=${file.suspendTimeSeconds}`,
    '# a node handed back with power_down_force (or given up at ResumeTimeout) can be resumed again, rather than staying DOWN',
    'SlurmctldParameters=idle_on_node_suspend',
    '# powered-down CLOUD nodes are shown by scontrol and sinfo, which `skypool slurm sync` reads',
    'PrivateData=cloud',
    ...(gpus ? ['GresTypes=gpu'] : []),
    ...file.nodeSets.map((set) =>
      [
        `NodeName=${set.hostList}`,
        'State=CLOUD',
        `CPUs=${set.vcpus}`,
        `RealMemory=${set.realMemoryMiB}`,
        ...(set.gpus > 0 ? [`Gres=gpu:${set.gpus}`] : []),
        `Feature=${['skypool', ...set.features].join(',')}`,
      ].join(' '),
    ),
  ];
}
