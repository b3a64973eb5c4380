import { registerEnumType } from '@nestjs/graphql';

/** Turns a list of names into the object `registerEnumType` wants. */
export function graphqlEnum<T extends string>(name: string, values: readonly T[], description?: string): Record<T, T> {
  const enumObject = Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;
  registerEnumType(enumObject, { name, description });
  return enumObject;
}
