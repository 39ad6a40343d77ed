// Global setup for the int and e2e tiers. Services each test needs are started by its fixtures.
export default async function setup(): Promise<void> {}
