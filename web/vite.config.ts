import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The staff console: built into web/dist and served by the API server at `/` (src/api/console.ts). */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // Everything is bundled and served by our own server: no CDN, no external fonts.
  build: {
    outDir: "dist",
    // Hashed files of earlier builds stay (web/build.ts prunes old ones): a page loaded before a rebuild
    // still finds the chunks it asks for later.
    emptyOutDir: false,
    manifest: true,
    chunkSizeWarningLimit: 2000,
  },
  server: { proxy: { "/api": "http://127.0.0.1:3000" } },
});
