import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescriptorError, readDescriptor, readDescriptorFolder, resolveCredential } from './site-descriptors.js';

const real = `name: umich
institution: University of Michigan
endpoint: https://ec2.umich.example.edu:8788/
region: RegionOne
accessKeyId: env:UMICH_KEY
secretAccessKey: env:UMICH_SECRET
capacity: { vcpus: 64, memoryMiB: 262144 }
instanceTypes:
  - { name: m1.small, vcpus: 1, memoryMiB: 2048 }
  - { name: m1.large, vcpus: 4, memoryMiB: 8192 }
images:
  - { image: ubuntu-22.04, imageId: ami-00000042 }
`;
const env = { UMICH_KEY: 'AKIAEXAMPLE', UMICH_SECRET: 's3cr3t' };

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
  it('reads a real site, resolving credential references', () => {
    const { spec, emulated } = readDescriptor('umich.yaml', real, env);
    expect(emulated).toBe(false);
    expect(spec).toMatchObject({ name: 'umich', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's3cr3t', homeShare: undefined });
    expect(spec.instanceTypes).toHaveLength(2);
  });

  it('names the file, the line and the field of a bad value', () => {
    const error = errorOf(() => readDescriptor('umich.yaml', real.replace('vcpus: 4,', 'vcpus: -4,'), env));
    expect(error.message).toBe('umich.yaml:10: instanceTypes[1].vcpus: must be a whole number from 1 to 2147483647, got -4');
  });

  it('names the line of a YAML syntax error and of an unknown field', () => {
    expect(errorOf(() => readDescriptor('x.yaml', 'name: a\ninstitution: [unclosed\n', env)).line).toBeGreaterThanOrEqual(2);
    expect(errorOf(() => readDescriptor('x.yaml', real + 'colour: blue\n', env)).message).toBe('x.yaml:13: unknown field "colour"');
  });

  it('says which environment variable or file a credential reference lacks, never its value', () => {
    expect(errorOf(() => readDescriptor('umich.yaml', real, { UMICH_KEY: 'x' })).message).toBe('umich.yaml:6: secretAccessKey: environment variable UMICH_SECRET is not set');
    expect(() => resolveCredential('file:/nonexistent/secret', 'secretAccessKey')).toThrow('secretAccessKey: cannot read /nonexistent/secret');
    expect(resolveCredential('plain', 'accessKeyId')).toBe('plain');
  });

  it('needs no endpoint or credentials for an emulated site', () => {
    const emulated = real.replace(/endpoint:.*\n|accessKeyId:.*\n|secretAccessKey:.*\n/g, '') + 'emulated: true\n';
    expect(readDescriptor('e.yaml', emulated, {}).emulated).toBe(true);
  });

  it('refuses a folder where two files name the same site', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skypool-descriptors-'));
    writeFileSync(join(dir, 'a.yaml'), real);
    writeFileSync(join(dir, 'b.yml'), real);
    writeFileSync(join(dir, 'notes.txt'), 'not a descriptor');
    expect(errorOf(() => readDescriptorFolder(dir, env)).message).toBe(`${join(dir, 'b.yml')}: name: umich is also defined in ${join(dir, 'a.yaml')}`);
  });
});
