/**
 * `Symbol.asyncDispose` for the Node 20 releases that lack it, so `await using node = await Node.start(...)` works
 * on every Node the package supports. It takes the symbol Node itself uses (`nodejs.asyncDispose`), so objects
 * disposed by Node's own code and by compiled `await using` agree. Imported before any class that defines
 * `[Symbol.asyncDispose]`: the method's key is read when the class is defined.
 */
if (typeof (Symbol as { asyncDispose?: symbol }).asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('nodejs.asyncDispose'), configurable: false, enumerable: false, writable: false });
}

export {};
