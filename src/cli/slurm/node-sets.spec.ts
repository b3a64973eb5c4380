import { describe, expect, it } from '@jest/globals';
import { parseNodeSetFile } from './node-sets.js';
import { slurmConfLines } from './slurm-conf.js';

const CONTRACT_EXAMPLE = `project: climate-model        # name or id; the requests are charged to it
nodeSets:
  - nodes: cloud[1-4]         # Slurm host list syntax
    image: ubuntu-22.04
    vcpus: 2
    memoryMiB: 2048
    leaseHours: 24
`;

describe('the node-set file', () => {
  it("reads the API contract's example, with defaults for the rest", () => {
    const file = parseNodeSetFile(CONTRACT_EXAMPLE, 'slurm.yaml');
    expect(file).toMatchObject({ project: 'climate-model', cluster: 'slurm', programDir: '/usr/local/sbin', resumeTimeoutSeconds: 600, suspendTimeSeconds: 600 });
    expect(file.nodeSets[0]).toMatchObject({ hostList: 'cloud[1-4]', nodes: ['cloud1', 'cloud2', 'cloud3', 'cloud4'], vcpus: 2, memoryMiB: 2048, gpus: 0, leaseHours: 24, placementDeadlineSeconds: 300, realMemoryMiB: 1945 });
  });

  it('turns into slurm.conf lines: the programs, the timings and a CLOUD node line per set', () => {
    const file = parseNodeSetFile(
      `${CONTRACT_EXAMPLE}    features: [small]
  - nodes: gpu[01-02]
    image: ubuntu-22.04-cuda
    vcpus: 8
    memoryMiB: 65536
    gpus: 1
    leaseHours: 4
cluster: hpc
programDir: /opt/skypool/bin
resumeTimeout: 15m
suspendTime: 300
`,
      'slurm.yaml',
    );
    expect(slurmConfLines(file)).toEqual([
      '# Skypool node sets of slurm.yaml: project climate-model, cluster hpc',
      'ResumeProgram=/opt/skypool/bin/skypool-slurm-resume',
      'SuspendProgram=/opt/skypool/bin/skypool-slurm-suspend',
      'ResumeFailProgram=/opt/skypool/bin/skypool-slurm-resume-fail',
      'ResumeTimeout=900',
      'SuspendTime=300',
      '# a node handed back with power_down_force (or given up at ResumeTimeout) can be resumed again, rather than staying DOWN',
      'SlurmctldParameters=idle_on_node_suspend',
      '# powered-down CLOUD nodes are shown by scontrol and sinfo, which `skypool slurm sync` reads',
      'PrivateData=cloud',
      'GresTypes=gpu',
      'NodeName=cloud[1-4] State=CLOUD CPUs=2 RealMemory=1945 Feature=skypool,small',
      'NodeName=gpu[01-02] State=CLOUD CPUs=8 RealMemory=62259 Gres=gpu:1 Feature=skypool',
    ]);
  });

  it('names the line and the setting that is wrong', () => {
    expect(() => parseNodeSetFile(`${CONTRACT_EXAMPLE}    vcpu: 2\n`, 'slurm.yaml')).toThrow('slurm.yaml:8: nodeSets[0].vcpu: unknown setting (known here: nodes, image, vcpus,');
    expect(() => parseNodeSetFile(CONTRACT_EXAMPLE.replace('vcpus: 2', 'vcpus: two'), 'slurm.yaml')).toThrow('slurm.yaml:5: nodeSets[0].vcpus: expected a whole number from 1, got "two"');
    expect(() => parseNodeSetFile(CONTRACT_EXAMPLE.replace('cloud[1-4]', 'cloud[1-4'), 'slurm.yaml')).toThrow('slurm.yaml:3: nodeSets[0].nodes: host list "cloud[1-4": a "[" without its "]"');
    expect(() => parseNodeSetFile(`${CONTRACT_EXAMPLE}  - nodes: cloud[4-5]\n    image: x\n    vcpus: 1\n    memoryMiB: 1\n    leaseHours: 1\n`, 'slurm.yaml')).toThrow(
      'slurm.yaml:8: nodeSets[1].nodes: node cloud4 is in node set 0 too',
    );
    expect(parseNodeSetFile(`${CONTRACT_EXAMPLE}resumeTimeout: 2m\n`, 'slurm.yaml').nodeSets[0]!.placementDeadlineSeconds).toBe(60); // half of it, by default
    expect(() => parseNodeSetFile(`${CONTRACT_EXAMPLE}    placementDeadline: 20m\n`, 'slurm.yaml')).toThrow('nodeSets[0].placementDeadline: must be shorter than resumeTimeout (600 s)');
    expect(() => parseNodeSetFile('nodeSets: []\n', 'slurm.yaml')).toThrow('slurm.yaml:1: nodeSets: expected a list of at least one node set');
    expect(() => parseNodeSetFile(`${CONTRACT_EXAMPLE}    userDataFile: missing.sh\n`, '/etc/skypool/slurm.yaml')).toThrow('nodeSets[0].userDataFile: cannot read /etc/skypool/missing.sh (ENOENT)');
  });
});
