import type { EntityManager } from 'typeorm';

/**
 * What identity needs to know of the projects it grants roles in, which the allocations domain
 * owns: that domain registers the answer (ProjectDirectoryModule), so identity imports none of it.
 */
export abstract class ProjectDirectory {
  /** Whether a project with this id exists. */
  abstract exists(id: string): Promise<boolean>;
  /** The ids of the projects with these names, by name (names of no project are left out). */
  abstract idsByName(manager: EntityManager, names: readonly string[]): Promise<Map<string, string>>;
}
