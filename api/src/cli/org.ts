// `suture org create --name NAME --admin-email EMAIL --admin-name NAME`: makes an organisation (a tenant)
// and its first admin, straight in the database (DATABASE_URL): the installation's operator does this, not
// a tenant. Prints the admin's one-time password once; nothing else is secret.
//   suture org list   the organisations, with their users and campaigns counted
import { createPrisma } from '@suture/db';
import { DomainError } from '../errors.ts';
import { createOrganization } from '../services/organizations.ts';

const USAGE = `usage: suture org create --name NAME --admin-email EMAIL --admin-name NAME
       suture org list
(needs DATABASE_URL)`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : args[i + 1];
  };
  if (sub !== 'create' && sub !== 'list') {
    console.error(USAGE);
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`suture org: set DATABASE_URL\n${USAGE}`);
    return 2;
  }
  const prisma = createPrisma(url, { max: 1 });
  try {
    if (sub === 'list') {
      const orgs = await prisma.organization.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, _count: { select: { users: true, campaigns: true } } } });
      for (const o of orgs) console.log(`${o.id}  ${o.name}  (${o._count.users} users, ${o._count.campaigns} campaigns)`);
      return 0;
    }
    const name = take('--name');
    const adminEmail = take('--admin-email');
    const adminName = take('--admin-name');
    if (!name || !adminEmail || !adminName) {
      console.error(USAGE);
      return 2;
    }
    const created = await createOrganization(prisma, { name, adminEmail, adminName });
    console.log(`organisation ${created.organizationId} created`);
    console.log(`admin ${adminEmail}, one-time password: ${created.password}`);
    console.log('hand the password over out of band; the admin changes it at first sign-in (console: Account)');
    return 0;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    console.error(`suture org: ${error.message}`);
    return 1;
  } finally {
    await prisma.$disconnect();
  }
}
