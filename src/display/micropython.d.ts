/** The parts of the MicroPython WebAssembly port's API that odbackup and its Badger emulator use (no types ship). */
declare module '@micropython/micropython-webassembly-pyscript' {
  export interface MicroPython {
    runPython(code: string): unknown;
    registerJsModule(name: string, module: Record<string, unknown>): void;
    globals: { get(name: string): unknown };
    FS: {
      writeFile(path: string, data: string | Uint8Array): void;
      readFile(path: string): Uint8Array;
      readdir(path: string): string[];
      mkdir(path: string): void;
      stat(path: string): { mode: number };
      isDir(mode: number): boolean;
    };
    /** The Emscripten module: mp_sched_keyboard_interrupt raises KeyboardInterrupt at the next bytecode boundary. */
    _module: { _mp_sched_keyboard_interrupt(): void };
  }
  /** With linebuffer false, stdout gets the bytes as they are written. */
  export function loadMicroPython(options: {
    heapsize?: number;
    stdout?: (output: string | Uint8Array) => void;
    stderr?: (output: string | Uint8Array) => void;
    linebuffer?: boolean;
  }): Promise<MicroPython>;
}
