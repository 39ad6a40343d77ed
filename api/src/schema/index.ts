// The GraphQL schema: entity files register their types, queries and mutations on the builder.
import { builder } from './builder.ts';
import './user.ts';
import './sso.ts';
import './campaign.ts';
import './consensus.ts';
import './batch.ts';
import './privacy.ts';
import './work.ts';
import './gold.ts';
import './export.ts';
import './audit.ts';
import './queues.ts';
import './finance.ts';
import './browse.ts';
import './guidelines.ts';
import './feedback.ts';
import './qualification.ts';
import './analytics.ts';

export const schema = builder.toSchema({ sortSchema: true });
