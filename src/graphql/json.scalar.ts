import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** A JSON object, for records whose shape varies (audit before/after). Output only in practice. */
export const GraphQLJSONObject = new GraphQLScalarType({
  name: 'JSONObject',
  description: 'A JSON object',
  serialize: (value) => value,
  parseValue: (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new GraphQLError('JSONObject: expected an object');
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.OBJECT) throw new GraphQLError('JSONObject: expected an object');
    throw new GraphQLError('JSONObject: literals are not accepted; pass a variable');
  },
});
