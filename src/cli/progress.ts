// A one-line progress bar on stderr, only in an interactive terminal (never in --json output or CI logs).
export interface Progress {
  tick(label?: string): void;
  done(): void;
}

export function progressBar(total: number, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled || !stream.isTTY || process.env.CI) return { tick() {}, done() {} };
  let n = 0;
  const draw = (label = '') => {
    const width = 30;
    const filled = Math.round((n / Math.max(total, 1)) * width);
    stream.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${n}/${total} ${label}`
        .slice(0, (stream.columns || 80) - 1)
        .padEnd(Math.min(stream.columns || 80, 100) - 1),
    );
  };
  draw();
  return {
    tick(label) {
      n++;
      draw(label);
    },
    done() {
      stream.write('\n');
    },
  };
}
