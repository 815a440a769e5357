/** Whose keys a command reads: this process's view, or every uid's (root only). */
export const VIEWS = ['self', 'all-users'] as const;
export type View = (typeof VIEWS)[number];
/** What `serve` and `metrics` take: a view, or `auto`, every uid's where the process may switch to them. */
export const SCRAPE_VIEWS = [...VIEWS, 'auto'] as const;
export type ScrapeView = (typeof SCRAPE_VIEWS)[number];
