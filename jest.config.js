import { availableParallelism } from 'node:os';

// Jest in native ESM mode (run with --experimental-vm-modules, see package.json).
// SWC compiles TypeScript with the options in .swcrc, as `npm run build` does for dist/: legacy
// decorators and their metadata, which NestJS, TypeORM and the code-first GraphQL types need.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': '@swc/jest' },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  // Integration suites spend a good part of their time waiting (schedules, polls, child processes,
  // slurmctld), so one worker more than cores: on 2 cores, 3 suites at once kept the cores 83% busy
  // and ran the suites in 469 s against 515 s with 2 (the same run otherwise).
  maxWorkers: availableParallelism() + 1,
  // A test's timeout only catches a hang: 30 s, so two suites sharing the cores are not cut off.
  // (Jest reads testTimeout from here only: in a project's settings it is ignored.)
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'] },
    // globalSetup migrates once into a template that every suite's database is a copy of.
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      slowTestThreshold: 30,
      globalSetup: '<rootDir>/test/helpers/migrated-template.ts',
    },
  ],
};
