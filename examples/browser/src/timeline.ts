/**
 * The chunk timeline as SVG: one tick per chunk at the time it arrived ("message received N
 * seconds after request", the seed notebook's printout as a picture), the first words in another
 * colour, and a seconds axis.
 */
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 60;
const PAD = 10;

function element(name: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Redraws `svg` from the arrival times (ms after the request). */
export function drawTimeline(svg: SVGSVGElement, arrivals: readonly number[], firstWords: number | undefined): void {
  const last = arrivals.at(-1) ?? 0;
  // The scale: whole seconds, at least one.
  const seconds = Math.max(1, Math.ceil(last / 1000));
  const x = (ms: number): number => PAD + ((WIDTH - 2 * PAD) * ms) / (seconds * 1000);
  const parts: SVGElement[] = [element('line', { class: 'axis', x1: PAD, x2: WIDTH - PAD, y1: 40, y2: 40 })];
  for (let second = 0; second <= seconds; second++) {
    parts.push(element('line', { class: 'axis', x1: x(second * 1000), x2: x(second * 1000), y1: 38, y2: 44 }));
    parts.push(element('text', { x: x(second * 1000), y: 56, 'text-anchor': 'middle' }, `${second} s`));
  }
  arrivals.forEach((ms, index) => {
    const tick = element('line', { class: ms === firstWords ? 'chunk first' : 'chunk', x1: x(ms), x2: x(ms), y1: 10, y2: 36 });
    tick.append(element('title', {}, `message ${index + 1} received ${(ms / 1000).toFixed(3)} seconds after request`));
    parts.push(tick);
  });
  svg.replaceChildren(...parts);
  svg.dataset['chunks'] = String(arrivals.length);
}
