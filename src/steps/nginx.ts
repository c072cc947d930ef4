import { nginxSite } from '../catalog/nginx.js';
import { isRemoteLocation } from '../config/load.js';
import { failed, ok, type Step } from './types.js';

interface NginxOptions {
  root?: string;
  requests?: string;
  htpasswd?: string;
  listen: string;
  user: string;
}

export const nginxStep: Step<NginxOptions> = {
  name: 'nginx',
  summary: "print the nginx site that serves the catalog's page to the configured people: each logs in, sees their own part, and asks for files with one click",
  options: [
    { flags: '--root <dir>', description: 'the folder catalog.to lands in, on the web host (default: catalog.to when it is a local folder)' },
    { flags: '--requests <dir>', description: "the folder of the people's request folders, on the web host (default: catalog.requests when local)" },
    { flags: '--htpasswd <file>', description: 'log people in with this auth_basic_user_file (else: say where your login goes)' },
    { flags: '--listen <address>', description: "nginx's listen directive", defaultValue: '443 ssl' },
    { flags: '--user <user>', description: "the web server's user, who writes the requests", defaultValue: 'www-data' },
  ],
  locked: false,
  async run(ctx, { options }) {
    const { catalog } = ctx.config;
    if (Object.keys(ctx.config.people).length === 0) return failed('usage', 'no people are configured: everyone who can open the page sees everything', 'name them under "people" (README: Who gets what back)');
    const local = (location: string | undefined) => (location && !isRemoteLocation(location) ? location : undefined);
    const root = options.root ?? local(catalog.to);
    const requests = options.requests ?? local(catalog.requests);
    if (!root) return failed('usage', 'where does the catalog land on the web host? give --root', 'catalog.to is not a local folder');
    if (!requests) return failed('usage', "where are the people's request folders on the web host? give --requests", 'catalog.requests is not a local folder');
    const site = nginxSite(ctx.config, { root, requests, htpasswd: options.htpasswd, listen: options.listen, user: options.user });
    return ok(site.trimEnd(), { site });
  },
};
