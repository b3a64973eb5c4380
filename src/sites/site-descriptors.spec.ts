import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialSourcesFrom, DescriptorError, emulatorSiteOf, readDescriptor, readDescriptorFolder, resolveCredential } from './site-descriptors.js';

const real = `name: umich
institution: University of Michigan
endpoint: https://ec2.umich.example.edu:8788/
region: RegionOne
accessKeyId: env:SKYPOOL_SITE_UMICH_KEY
secretAccessKey: env:SKYPOOL_SITE_UMICH_SECRET
capacity: { vcpus: 64, memoryMiB: 262144 }
instanceTypes:
  - { name: m1.small, vcpus: 1, memoryMiB: 2048 }
  - { name: m1.large, vcpus: 4, memoryMiB: 8192 }
images:
  - { image: ubuntu-22.04, imageId: ami-00000042 }
`;
const env = credentialSourcesFrom({ SKYPOOL_SITE_UMICH_KEY: 'AKIAEXAMPLE', SKYPOOL_SITE_UMICH_SECRET: 's3cr3t' });

function errorOf(work: () => unknown): DescriptorError {
  try {
    work();
  } catch (err) {
    if (err instanceof DescriptorError) return err;
    throw err;
  }
  throw new Error('expected a DescriptorError');
}

describe('site descriptors', () => {
  it('reads a real site, resolving credential references and keeping the references', () => {
    const { spec, emulated, references } = readDescriptor('umich.yaml', real, env);
    expect(emulated).toBe(false);
    expect(spec).toMatchObject({ name: 'umich', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's3cr3t', homeShare: undefined });
    expect(references).toEqual({ accessKeyId: 'env:SKYPOOL_SITE_UMICH_KEY', secretAccessKey: 'env:SKYPOOL_SITE_UMICH_SECRET' });
    expect(spec.instanceTypes).toHaveLength(2);
  });

  it('names the file, the line and the field of a bad value', () => {
    const error = errorOf(() => readDescriptor('umich.yaml', real.replace('vcpus: 4,', 'vcpus: -4,'), env));
    expect(error.message).toBe('umich.yaml:10: instanceTypes[1].vcpus: must be a whole number from 1 to 2147483647, got -4');
  });

  it('names the line of a YAML syntax error and of an unknown setting', () => {
    expect(errorOf(() => readDescriptor('x.yaml', 'name: a\ninstitution: [unclosed\n', env)).line).toBeGreaterThanOrEqual(2);
    expect(errorOf(() => readDescriptor('x.yaml', real + 'colour: blue\n', env)).message).toMatch(/^x\.yaml:13: colour: unknown setting \(known: name, institution, .*emulator\)$/);
  });

  it.each([
    ['capacity', real.replace('memoryMiB: 262144 }', 'memoryMiB: 262144, gpu: 1 }'), 7, 'capacity.gpu: unknown setting (known: vcpus, memoryMiB, gpus, instances)'],
    ['an instance type', real.replace('vcpus: 4,', 'vcpu: 4,'), 10, 'instanceTypes[1].vcpu: unknown setting (known: name, vcpus, memoryMiB, gpus)'],
    ['an image', real.replace('imageId: ami-00000042 }', 'imageId: ami-00000042, os: linux }'), 12, 'images[0].os: unknown setting (known: image, imageId)'],
    ['network', `${real}network:\n  subnetId: subnet-1\n  subnet: subnet-2\n`, 15, 'network.subnet: unknown setting (known: securityGroupIds, subnetId, keyName, associatePublicIp)'],
    ['emulator.faults', `${real}emulator:\n  faults: { latency: 5 }\n`, 14, 'emulator.faults.latency: unknown setting (known: actions, latencyMs, latencyJitterMs, errorRate, errorCode, failNext, unavailableBurst, dropReplyAfterCreate, stuckPending, malformedRunReply, down)'],
    ['emulator.faults.failNext', `${real}emulator:\n  faults:\n    failNext: { count: 1, cod: X }\n`, 15, 'emulator.faults.failNext.cod: unknown setting (known: count, code)'],
    ['emulator.compatibility', `${real}emulator: { compatibility: { tags: false } }\n`, 13, 'emulator.compatibility.tags: unknown setting (known: tagSpecifications, clientToken, describeInstanceTypes)'],
  ])('refuses an unknown setting in %s, with its line and path', (_where, text, line, problem) => {
    expect(errorOf(() => readDescriptor('sites/lab.yaml', text, env)).message).toBe(`sites/lab.yaml:${line}: ${problem}`);
  });

  it.each([
    ['a label that is no text', `${real}labels:\n  gpu: { model: a100 }\n`, 14, 'labels.gpu: must be a single value, not a mapping'],
    ['an empty label', `${real}labels:\n  gpu:\n`, 14, 'labels.gpu: must not be empty'],
    ['a zone that is a mapping', `${real}availabilityZones:\n  - { name: nova }\n`, 14, 'availabilityZones[0]: must be a single value, not a mapping'],
    ['a list where a mapping belongs', real.replace('capacity: { vcpus: 64, memoryMiB: 262144 }', 'capacity: [64, 262144]'), 7, 'capacity: must be a mapping (key: value)'],
    ['a mapping where a list belongs', `${real}network: { securityGroupIds: { a: sg-1 } }\n`, 13, 'network.securityGroupIds: must be a list'],
    ['an instance type that is no mapping', real.replace('  - { name: m1.small, vcpus: 1, memoryMiB: 2048 }', '  - m1.small'), 9, 'instanceTypes[0]: must be a mapping (key: value)'],
  ])('refuses %s, with its line and path', (_what, text, line, problem) => {
    expect(errorOf(() => readDescriptor('sites/lab.yaml', text, env)).message).toBe(`sites/lab.yaml:${line}: ${problem}`);
  });

  it('names a line even for a block that is missing altogether: the first of the document', () => {
    const commented = `# the lab's cloud\n${real}`;
    expect(errorOf(() => readDescriptor('lab.yaml', commented.replace('capacity: { vcpus: 64, memoryMiB: 262144 }\n', ''), env)).message).toBe(
      'lab.yaml:2: capacity: is required: vcpus, memoryMiB, gpus, instances',
    );
    expect(errorOf(() => readDescriptor('lab.yaml', commented.replace(/images:\n.*\n/, ''), env)).message).toBe('lab.yaml:2: images: must map at least one image');
    expect(errorOf(() => readDescriptor('lab.yaml', commented.replace('region: RegionOne\n', ''), env)).message).toBe('lab.yaml:2: region: required, a string');
  });

  it('takes a typeCapacity per instance type for the emulator, and refuses one for a type the site does not list', () => {
    const descriptor = readDescriptor('lab.yaml', `${real}emulator:\n  typeCapacity: { m1.large: 4 }\n`, env);
    expect(emulatorSiteOf(descriptor.spec, descriptor).typeCapacity).toEqual({ 'm1.large': 4 });
    expect(errorOf(() => readDescriptor('lab.yaml', `${real}emulator:\n  typeCapacity:\n    m1.large: 4\n    m1.huge: 2\n`, env)).message).toBe(
      "lab.yaml:16: emulator.typeCapacity.m1.huge: not one of the site's instance types (m1.small, m1.large)",
    );
    expect(errorOf(() => readDescriptor('lab.yaml', `${real}emulator: { typeCapacity: { m1.large: -1 } }\n`, env)).message).toBe(
      'lab.yaml:13: emulator.typeCapacity.m1.large: must be a whole number of at least 0, not -1',
    );
  });

  it('says which environment variable or file a credential reference lacks, never its value', () => {
    const onlyKey = credentialSourcesFrom({ SKYPOOL_SITE_UMICH_KEY: 'x' });
    expect(errorOf(() => readDescriptor('umich.yaml', real, onlyKey)).message).toBe('umich.yaml:6: secretAccessKey: environment variable SKYPOOL_SITE_UMICH_SECRET is not set');
    const dir = mkdtempSync(join(tmpdir(), 'skypool-credentials-'));
    expect(() => resolveCredential('file:missing.secret', 'secretAccessKey', credentialSourcesFrom({ SKYPOOL_CREDENTIALS_DIR: dir }))).toThrow(
      `secretAccessKey: cannot read ${join(dir, 'missing.secret')}`,
    );
    expect(resolveCredential('plain', 'accessKeyId', env)).toBe('plain');
  });

  describe('credential references read only what the operator set aside for site credentials', () => {
    const secrets = { PGPASSWORD: 'hunter2', SKYPOOL_SITE_UMICH_KEY: 'AKIAUMICH' };

    it.each([
      ['PGPASSWORD', 'accessKeyId: env:PGPASSWORD is refused: site credentials are read only from environment variables whose names start with SKYPOOL_SITE_ (SKYPOOL_SITE_ENV_PREFIX)'],
      ['HOME', 'accessKeyId: env:HOME is refused: site credentials are read only from environment variables whose names start with SKYPOOL_SITE_ (SKYPOOL_SITE_ENV_PREFIX)'],
    ])('refuses env:%s outside the prefix, without reading it', (name, message) => {
      expect(() => resolveCredential(`env:${name}`, 'accessKeyId', credentialSourcesFrom({ ...secrets, HOME: '/root' }))).toThrow(message);
    });

    it.each(['SKYPOOL_SECRET_KEY', 'DATABASE_URL', 'SKYPOOL_ADMIN_TOKEN', 'OIDC_CLIENT_SECRET', 'OIDC_EGI_CLIENT_SECRET', 'SKYPOOL_SITE_ENV_PREFIX', 'SKYPOOL_SITE_TIMEOUT_MS', 'SKYPOOL_TOKEN'])(
      "never reads the broker's own setting %s, whatever the prefix",
      (name) => {
        const sources = credentialSourcesFrom({ [name]: 'a-secret-value', SKYPOOL_SITE_ENV_PREFIX: name.slice(0, 3) });
        expect(() => resolveCredential(`env:${name}`, 'secretAccessKey', sources)).toThrow(
          `secretAccessKey: env:${name} is one of Skypool's own settings, never read as a site credential`,
        );
      },
    );

    it('takes the prefix the operator chooses', () => {
      const sources = credentialSourcesFrom({ LAB_CLOUD_KEY: 'AKIALAB', SKYPOOL_SITE_ENV_PREFIX: 'LAB_CLOUD_' });
      expect(resolveCredential('env:LAB_CLOUD_KEY', 'accessKeyId', sources)).toBe('AKIALAB');
      expect(() => resolveCredential('env:SKYPOOL_SITE_UMICH_KEY', 'accessKeyId', sources)).toThrow(/start with LAB_CLOUD_/);
    });

    it('refuses file: references until SKYPOOL_CREDENTIALS_DIR is set', () => {
      expect(() => resolveCredential('file:/etc/shadow', 'secretAccessKey', credentialSourcesFrom({}))).toThrow(
        'secretAccessKey: file: references are refused until SKYPOOL_CREDENTIALS_DIR names the folder that holds site credentials',
      );
    });

    it('reads files inside SKYPOOL_CREDENTIALS_DIR only, after resolving .. and symbolic links', () => {
      const work = mkdtempSync(join(tmpdir(), 'skypool-credentials-'));
      const dir = join(work, 'credentials');
      mkdirSync(join(dir, 'umich'), { recursive: true });
      writeFileSync(join(dir, 'umich', 'secret'), 's3cr3t\n');
      writeFileSync(join(work, 'outside.secret'), 'not for sites');
      symlinkSync(join(work, 'outside.secret'), join(dir, 'sneaky'));
      symlinkSync(join(dir, 'umich', 'secret'), join(work, 'link-in'));
      const sources = credentialSourcesFrom({ SKYPOOL_CREDENTIALS_DIR: dir });
      expect(resolveCredential('file:umich/secret', 'secretAccessKey', sources)).toBe('s3cr3t');
      expect(resolveCredential(`file:${join(dir, 'umich', 'secret')}`, 'secretAccessKey', sources)).toBe('s3cr3t');
      expect(resolveCredential(`file:${join(work, 'link-in')}`, 'secretAccessKey', sources)).toBe('s3cr3t');
      const outside = `is outside SKYPOOL_CREDENTIALS_DIR (${dir})`;
      expect(() => resolveCredential('file:/etc/shadow', 'secretAccessKey', sources)).toThrow(`secretAccessKey: file:/etc/shadow ${outside}`);
      expect(() => resolveCredential('file:../outside.secret', 'secretAccessKey', sources)).toThrow(`secretAccessKey: file:../outside.secret ${outside}`);
      expect(() => resolveCredential('file:umich/../../outside.secret', 'secretAccessKey', sources)).toThrow(outside);
      expect(() => resolveCredential('file:sneaky', 'secretAccessKey', sources)).toThrow(`secretAccessKey: file:sneaky ${outside}`);
      expect(() => resolveCredential(`file:${dir}`, 'secretAccessKey', sources)).toThrow(outside);
    });

    it('refuses a bad prefix or credentials folder setting, naming the variable', () => {
      expect(() => credentialSourcesFrom({ SKYPOOL_SITE_ENV_PREFIX: 'no spaces' })).toThrow(/SKYPOOL_SITE_ENV_PREFIX: expected/);
    });
  });

  it('needs no endpoint or credentials for an emulated site', () => {
    const emulated = real.replace(/endpoint:.*\n|accessKeyId:.*\n|secretAccessKey:.*\n/g, '') + 'emulated: true\n';
    expect(readDescriptor('e.yaml', emulated, credentialSourcesFrom({})).emulated).toBe(true);
  });

  it('refuses a folder where two files name the same site', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skypool-descriptors-'));
    writeFileSync(join(dir, 'a.yaml'), real);
    writeFileSync(join(dir, 'b.yml'), real);
    writeFileSync(join(dir, 'notes.txt'), 'not a descriptor');
    expect(errorOf(() => readDescriptorFolder(dir, env)).message).toBe(`${join(dir, 'b.yml')}: name: umich is also defined in ${join(dir, 'a.yaml')}`);
  });

  it('refuses a descriptor file over 1 MB, naming it, before reading it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skypool-descriptors-'));
    // a comment pads it: the YAML itself would be a valid descriptor
    const huge = `${real.replace('name: umich', 'name: huge')}# ${'x'.repeat(1024 * 1024)}\n`;
    writeFileSync(join(dir, 'a.yaml'), real);
    writeFileSync(join(dir, 'huge.yaml'), huge);
    const problem = `the file is larger than 1 MB (${Buffer.byteLength(huge)} bytes); a site descriptor is a few hundred bytes`;
    expect(errorOf(() => readDescriptorFolder(dir, env)).message).toBe(`${join(dir, 'huge.yaml')}: ${problem}`);
    expect(errorOf(() => readDescriptor('huge.yaml', huge, env)).message).toBe(`huge.yaml: ${problem}`);
  });

  it('refuses an endpoint over 2 KB and direction overrides in the institution', () => {
    expect(errorOf(() => readDescriptor('lab.yaml', real.replace('ec2.umich.example.edu:8788/', `ec2.umich.example.edu:8788/${'a'.repeat(3000)}`), env)).message).toBe(
      'lab.yaml:3: endpoint: must be at most 2048 characters',
    );
    expect(errorOf(() => readDescriptor('lab.yaml', real.replace('University of Michigan', '"University of \\u202EnagihciM"'), env)).message).toBe(
      'lab.yaml:2: institution: must not contain invisible or direction-changing control characters',
    );
  });
});
