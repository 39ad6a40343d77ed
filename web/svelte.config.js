// SvelteKit configuration: Node server output (web/build), started with `node build`.
import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    // SvelteKit's same-origin check on form posts (login, logout) stays on; /graphql checks Origin itself.
    adapter: adapter({ out: 'build' }),
  },
};

export default config;
