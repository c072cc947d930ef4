/** The parts of the MicroPython WebAssembly port's API that odbackup uses (the package ships no types). */
declare module '@micropython/micropython-webassembly-pyscript' {
  export interface MicroPython {
    runPython(code: string): unknown;
    globals: { get(name: string): unknown };
    FS: { writeFile(path: string, data: string | Uint8Array): void; readFile(path: string, options?: { encoding: 'utf8' }): string | Uint8Array };
  }
  export function loadMicroPython(options: { heapsize?: number; stdout?: (line: string) => void; stderr?: (line: string) => void; linebuffer?: boolean }): Promise<MicroPython>;
}
