// chart.js as a Svelte attachment: creates the chart on its canvas, feeds it new data when the
// config getter's dependencies change, and destroys it with the element.
import { Chart, registerables, type ChartConfiguration, type ChartType, type UpdateMode } from 'chart.js';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';

Chart.register(...registerables);

/** `getConfig` must build plain objects (not $state proxies): chart.js annotates what it is given. */
export function chart<T extends ChartType>(getConfig: () => ChartConfiguration<T>, updateMode: UpdateMode = 'none'): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const instance = new Chart<T>(canvas, untrack(getConfig));
    $effect(() => {
      const next = getConfig().data;
      instance.data.labels = next.labels;
      next.datasets.forEach((dataset, i) => {
        const current = instance.data.datasets[i];
        // Keep dataset objects so chart.js animates values instead of redrawing series.
        if (current) Object.assign(current, dataset);
        else instance.data.datasets.push(dataset);
      });
      instance.data.datasets.length = next.datasets.length;
      instance.update(updateMode);
    });
    return () => instance.destroy();
  };
}
