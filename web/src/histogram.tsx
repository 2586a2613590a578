/**
 * Matches over time as bars (uPlot, drawn on a canvas: no event value becomes markup). Dragging
 * across the chart selects a time range, which becomes the search's absolute range.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

interface Props {
  bucketMs: number;
  buckets: { t: number; n: number }[];
  onZoom: (fromMs: number, toMs: number) => void;
}

export function Histogram({ bucketMs, buckets, onZoom }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  useEffect(() => {
    const el = box.current!;
    const xs = buckets.map((b) => b.t / 1000);
    const ys = buckets.map((b) => b.n);
    const opts: uPlot.Options = {
      width: el.clientWidth || 800,
      height: 160,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: true, range: (_u, min, max) => [min, max + bucketMs / 1000] } },
      axes: [
        { stroke: '#8b98a8', grid: { stroke: '#243040' }, ticks: { stroke: '#243040' } },
        {
          stroke: '#8b98a8',
          grid: { stroke: '#243040' },
          ticks: { stroke: '#243040' },
          size: 64,
          values: (_u, vals) => vals.map((v) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v))),
        },
      ],
      series: [
        {},
        { label: 'events', fill: 'rgba(79,179,255,0.55)', stroke: '#4fb3ff', width: 1, paths: uPlot.paths.bars!({ size: [0.9, 60], align: 1 }), points: { show: false } },
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const a = u.posToVal(u.select.left, 'x');
            const b = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current(Math.floor(a * 1000), Math.ceil(b * 1000));
          },
        ],
      },
    };
    const plot = new uPlot(opts, [xs, ys], el);
    const ro = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 160 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [bucketMs, buckets]);
  return <div class="histogram" ref={box} />;
}
