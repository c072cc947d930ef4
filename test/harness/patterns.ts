/** One table of queries, names and whether they match: `odbackup find` and the catalog's page must agree on each. */
export const MATCH_TABLE: { query: string; name: string; matches: boolean }[] = [
  // Plain words: a part of the path, letters of either case.
  { query: 'cat', name: 'drawings/jim/cat.png', matches: true },
  { query: 'CAT', name: 'drawings/jim/cat.png', matches: true },
  { query: 'jim/c', name: 'drawings/jim/cat.png', matches: true },
  { query: 'dog', name: 'drawings/jim/cat.png', matches: false },
  { query: 'house drawing', name: 'drawings/jim/house drawing.dxf', matches: true },
  // A glob without a slash: the file name at any depth.
  { query: '*.png', name: 'drawings/jim/cat.png', matches: true },
  { query: '*.png', name: 'cat.png', matches: true },
  { query: '*.png', name: 'drawings/jim/cat.png.txt', matches: false },
  { query: '*.{png,dxf}', name: 'drawings/jim/house.dxf', matches: true },
  { query: '*.{png,dxf}', name: 'drawings/jim/cat.png', matches: true },
  { query: '*.{png,dxf}', name: 'docs/letter.txt', matches: false },
  { query: 'ca?.png', name: 'drawings/cat.png', matches: true },
  { query: 'ca?.png', name: 'drawings/cart.png', matches: false },
  { query: '[cb]at.png', name: 'bat.png', matches: true },
  { query: '[!cb]at.png', name: 'bat.png', matches: false },
  { query: '*.PNG', name: 'cat.png', matches: false },
  { query: '.*', name: 'home/.bashrc', matches: true },
  // With a slash: the whole path from the source's root.
  { query: 'drawings/**', name: 'drawings/jim/cat.png', matches: true },
  { query: 'drawings/*', name: 'drawings/jim/cat.png', matches: false },
  { query: 'drawings/**/cat*', name: 'drawings/jim/cat.png', matches: true },
  { query: '**/cat.png', name: 'cat.png', matches: true },
  { query: '**/jim/*.png', name: 'drawings/jim/cat.png', matches: true },
  { query: 'jim/*.png', name: 'drawings/jim/cat.png', matches: false },
  { query: 'drawings/{jim,ann}/*.png', name: 'drawings/ann/sun.png', matches: true },
];
