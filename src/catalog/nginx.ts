import type { Config } from '../config/types.js';

export interface SiteOptions {
  /** The folder catalog.to lands in, on the web host. */
  root: string;
  /** The folder of the people's request folders (catalog.requests), on the web host. */
  requests: string;
  /** nginx's auth_basic_user_file; without it, the lines for another way of logging in are left to the reader. */
  htpasswd?: string;
  listen: string;
  /** The worker's user, who writes the requests (www-data on Debian). */
  user: string;
}

/** Names match [a-z0-9][a-z0-9._-]* (the schema's pattern): quoting needs no escapes. */
const quote = (text: string) => `"${text}"`;

/**
 * An nginx site for the configured people (README: Who gets what back): every person logs in on the web server,
 * sees their own part of each node's catalog at /me/<node>/index.json, may fetch the data of the sources they may
 * see and nothing else (403), and puts restore requests into their own folder with one PUT (nginx's DAV module).
 * The full index and everything else of a node is for staff only.
 */
export function nginxSite(config: Config, options: SiteOptions): string {
  const people = Object.entries(config.people);
  const staff = people.filter(([, grants]) => grants.staff).map(([person]) => person);
  const reads = people.flatMap(([person, grants]) => (grants.staff ? [] : grants.sources.map((source) => `${person}:${source}`)));
  const name = '[a-z0-9][a-z0-9._-]*';
  const auth = options.htpasswd
    ? [`    auth_basic "odbackup";`, `    auth_basic_user_file ${options.htpasswd};`]
    : ['    # Log people in here (auth_basic, auth_request to LDAP or the school\'s single sign-on): $remote_user must be their name.'];
  return [
    `# Written by \`odbackup nginx\` for ${config.node}: ${people.length} people (${people.map(([person]) => person).join(', ')}).`,
    '# Each person needs a requests folder the web server may write and the node may read:',
    ...people.map(([person]) => `#   install -d -o ${options.user} -g ${options.user} -m 2775 ${options.requests}/${person}`),
    `map $remote_user $odbackup_staff {`,
    `    default 0;`,
    ...staff.map((person) => `    ${quote(person)} 1;`),
    `}`,
    `map "$remote_user:$odbackup_source" $odbackup_reads {`,
    `    default $odbackup_staff;`,
    ...reads.map((pair) => `    ${quote(pair)} 1;`),
    `}`,
    `server {`,
    `    listen ${options.listen};`,
    `    root ${options.root};`,
    `    index index.html;`,
    ...auth,
    `    add_header Cache-Control "no-cache" always;`,
    `    add_header X-Content-Type-Options nosniff always;`,
    `    add_header Content-Security-Policy "default-src 'self'; style-src 'self' 'unsafe-inline'" always;`,
    `    # A snapshot's data: only for those who may see its source.`,
    `    location ~ ^/(?<odbackup_node>${name})/data/(?<odbackup_source>${name})/ {`,
    `        if ($odbackup_reads = 0) { return 403; }`,
    `    }`,
    `    # The node's whole index is staff's; each person's part is reached as /me/<node>/index.json.`,
    `    location ~ ^/${name}/index\\.json$ {`,
    `        if ($odbackup_staff = 0) { return 403; }`,
    `    }`,
    `    location ~ ^/${name}/people/ { return 403; }`,
    `    location ~ ^/me/(?<odbackup_node>${name})/index\\.json$ {`,
    `        try_files /$odbackup_node/people/$remote_user/index.json =404;`,
    `    }`,
    `    # One click: a request goes into the person's own folder, and nowhere else.`,
    // Quoted: nginx would take a bare { for the start of a block.
    `    location ~ "^/me/requests/(?<odbackup_request>[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\.json)$" {`,
    `        limit_except PUT { deny all; }`,
    `        alias ${options.requests}/$remote_user/$odbackup_request;`,
    `        dav_methods PUT;`,
    `        create_full_put_path off;`,
    `        dav_access user:rw group:rw all:r;`,
    `        client_max_body_size 16k;`,
    `    }`,
    `}`,
    '',
  ].join('\n');
}
