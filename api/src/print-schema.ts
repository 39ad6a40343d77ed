// Writes the printed GraphQL schema to api/schema.graphql (the console and clients read it).
import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from './schema/index.ts';

writeFileSync(new URL('../schema.graphql', import.meta.url), `${printSchema(schema)}\n`);
