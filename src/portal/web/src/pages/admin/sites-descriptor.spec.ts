import { describe, expect, it } from '@jest/globals';
import { placeRefusal, readDescriptor, readDescriptors } from './sites-descriptor';
import { describeSetting, formatInstanceTypes, formatShare, parseImages, parseInstanceTypes, parseLabels, parseShare } from './sites-settings';

const LAB = `# the physics department's cloud
name: physics-lab
institution: Physics Lab Institute
endpoint: https://ec2.lab.example.edu:8788/
region: RegionOne
availabilityZones: [nova]
accessKeyId: AKIALAB
secretAccessKey: s3cret
capacity: { vcpus: 256, memoryMiB: 1048576, gpus: 0, instances: 100 }
homeShare: 0.25
lendsHomeShare: false
instanceTypes:
  - { name: m1.medium, vcpus: 2, memoryMiB: 4096 }
  - { name: g1.large, vcpus: 8, memoryMiB: 32768, gpus: 1 }
images:
  - { image: ubuntu-22.04, imageId: ami-00000042 }
labels: { gpu: a100, version: 2 }
network:
  securityGroupIds: [sg-0a1b2c3d]
  subnetId: subnet-5e6f7a8b
  associatePublicIp: true
tagMode: AFTER_CREATE
`;

const problemOf = (file: string, text: string) => {
  try {
    readDescriptor(file, text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no problem found');
};

describe('site descriptor files read in the browser', () => {
  it('turns a descriptor into the applySites input, labels as text', () => {
    const { input } = readDescriptor('lab.yaml', LAB);
    expect(input).toEqual({
      file: 'lab.yaml',
      name: 'physics-lab',
      institution: 'Physics Lab Institute',
      endpoint: 'https://ec2.lab.example.edu:8788/',
      region: 'RegionOne',
      accessKeyId: 'AKIALAB',
      secretAccessKey: 's3cret',
      capacity: { vcpus: 256, memoryMiB: 1048576, gpus: 0, instances: 100 },
      instanceTypes: [
        { name: 'm1.medium', vcpus: 2, memoryMiB: 4096, gpus: undefined },
        { name: 'g1.large', vcpus: 8, memoryMiB: 32768, gpus: 1 },
      ],
      images: [{ image: 'ubuntu-22.04', imageId: 'ami-00000042' }],
      homeShare: 0.25,
      lendsHomeShare: false,
      availabilityZones: ['nova'],
      labels: [
        { key: 'gpu', value: 'a100' },
        { key: 'version', value: '2' },
      ],
      network: { securityGroupIds: ['sg-0a1b2c3d'], subnetId: 'subnet-5e6f7a8b', keyName: undefined, associatePublicIp: true },
      tagMode: 'AFTER_CREATE',
    });
  });

  it('names the file, the line and the reason of every problem', () => {
    expect(problemOf('lab.yaml', LAB.replace('vcpus: 256', 'vcpus: 2.5'))).toBe('lab.yaml:9: capacity.vcpus: must be a whole number up to 2147483647, got 2.5');
    expect(problemOf('lab.yaml', LAB.replace('region: RegionOne\n', ''))).toBe('lab.yaml:2: region: required, a string');
    expect(problemOf('lab.yaml', LAB.replace('tagMode', 'tagmode'))).toMatch(/^lab\.yaml:22: tagmode: unknown setting \(known: name, institution, /);
    expect(problemOf('lab.yaml', LAB.replace('lendsHomeShare: false', 'lendsHomeShare: sometimes'))).toBe('lab.yaml:11: lendsHomeShare: must be true or false, got sometimes');
    expect(problemOf('lab.yaml', LAB.replace('images:\n', 'images: nope\n'))).toMatch(/^lab\.yaml:15: /);
    expect(problemOf('lab.yaml', 'name: [unclosed\n')).toMatch(/^lab\.yaml:\d+: /);
    expect(problemOf('lab.yaml', '- a list\n')).toBe('lab.yaml:1: a site descriptor is a YAML mapping (name: ..., institution: ...)');
  });

  it('refuses what only the command line can do, saying what to do instead', () => {
    expect(problemOf('lab.yaml', LAB.replace('accessKeyId: AKIALAB', 'accessKeyId: env:SKYPOOL_SITE_LAB_KEY'))).toBe(
      'lab.yaml:7: accessKeyId: env: references are read on the machine that applies the file, which a browser cannot do: apply this file with `skypool sites apply`, or give the value itself',
    );
    expect(problemOf('lab.yaml', LAB.replace('secretAccessKey: s3cret', 'secretAccessKey: file:lab.secret'))).toMatch(/^lab\.yaml:8: secretAccessKey: file: references are read on the machine/);
    expect(problemOf('demo.yaml', 'name: umich\ninstitution: U\nregion: r\nemulated: true\nemulator: { faults: { failNext: { count: 1 } } }\n')).toMatch(/^demo\.yaml:4: emulated: sites of the bundled emulator are set up when the broker starts/);
  });

  it('refuses two files naming the same site', () => {
    expect(() => readDescriptors([{ name: 'a.yaml', text: LAB }, { name: 'b.yaml', text: LAB }])).toThrow('b.yaml:2: name: physics-lab is also defined in a.yaml');
  });

  it("points the API's refusals at the file and line they concern", () => {
    const descriptors = readDescriptors([
      { name: 'a.yaml', text: LAB.replace('physics-lab', 'a-lab') },
      { name: 'b.yaml', text: LAB },
    ]);
    expect(placeRefusal(descriptors, 'sites[1].capacity.vcpus', 'sites[1].capacity.vcpus: must be a whole number from 1 to 2147483647, got -4', 'Apply anyway')).toBe(
      'b.yaml:9: capacity.vcpus: must be a whole number from 1 to 2147483647, got -4',
    );
    expect(placeRefusal(descriptors, 'sites[0]', 'only a federation admin or a site admin of Physics Lab Institute may manage its sites', 'Apply anyway')).toBe(
      'a.yaml:2: only a federation admin or a site admin of Physics Lab Institute may manage its sites',
    );
    expect(placeRefusal(descriptors, 'sites[1].endpoint', 'sites[1].endpoint: the probe of the site failed (allowUnhealthy: true applies it anyway)', 'Apply anyway')).toBe(
      'b.yaml:4: endpoint: the probe of the site failed ("Apply anyway" applies it anyway)',
    );
    expect(placeRefusal(descriptors, undefined, 'the broker could not be reached', 'Apply anyway')).toBe('the broker could not be reached');
  });
});

describe("a site's settings in the form's text fields", () => {
  it('reads instance types with memory in MiB or with a unit, and writes them back exactly', () => {
    expect(parseInstanceTypes('m1.medium 2 4 GiB\n\n# GPUs\ng1.large 8 32768 1\nodd 3 1000 MiB')).toEqual({
      value: [
        { name: 'm1.medium', vcpus: 2, memoryMiB: 4096, gpus: 0 },
        { name: 'g1.large', vcpus: 8, memoryMiB: 32768, gpus: 1 },
        { name: 'odd', vcpus: 3, memoryMiB: 1000, gpus: 0 },
      ],
    });
    const types = parseInstanceTypes('m1.medium 2 4 GiB\ng1.large 8 32768 1\nodd 3 1000 MiB').value!;
    expect(formatInstanceTypes(types)).toBe('m1.medium 2 4 GiB\ng1.large 8 32 GiB 1\nodd 3 1000 MiB');
    expect(parseInstanceTypes(formatInstanceTypes(types)).value).toEqual(types);
    expect(parseInstanceTypes('m1.medium 2\n').error).toBe('line 1: expected a name, vCPUs, memory and optionally GPUs, e.g. m1.medium 2 4 GiB');
  });

  it('reads images, labels and shares', () => {
    expect(parseImages('ubuntu-22.04 ami-00000042').value).toEqual([{ image: 'ubuntu-22.04', imageId: 'ami-00000042' }]);
    expect(parseImages('ubuntu-22.04').error).toMatch(/^line 1: /);
    expect(parseLabels('gpu=a100\nnetwork = infiniband').value).toEqual([
      { key: 'gpu', value: 'a100' },
      { key: 'network', value: 'infiniband' },
    ]);
    expect(parseLabels('gpu').error).toBe('line 1: expected key=value, e.g. gpu=a100');
    expect([parseShare('0.25'), parseShare('25 %'), parseShare('1.5'), parseShare('x')]).toEqual([0.25, 0.25, undefined, undefined]);
    for (const share of [0, 0.07, 0.25, 1 / 3]) expect(parseShare(formatShare(share))).toBeCloseTo(share, 8);
  });

  it('says each setting in words for the diff, and nothing of credentials', () => {
    const { input } = readDescriptor('lab.yaml', LAB);
    expect(describeSetting('capacity', input)).toBe('256 vCPUs, 1 TiB, 0 GPUs, at most 100 instances');
    expect(describeSetting('instanceTypes', input)).toBe('m1.medium (2 vCPUs, 4 GiB); g1.large (8 vCPUs, 32 GiB, 1 GPU)');
    expect(describeSetting('network', input)).toBe('security groups sg-0a1b2c3d, subnet subnet-5e6f7a8b, public address');
    expect(describeSetting('labels', input)).toBe('gpu=a100, version=2');
    expect(describeSetting('secretAccessKey', input)).toBeUndefined();
  });
});
