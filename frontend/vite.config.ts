import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const staticDir = fileURLToPath(new URL("../src/marketing_agent/gateway/static", import.meta.url));
const apiTarget = process.env.MA_API_URL ?? "http://127.0.0.1:8000";

// The built UI is committed into the Python package, so `marketing-agent run` serves it without Node.
export default defineConfig({
  base: "/",
  plugins: [react()],
  server: {
    proxy: {
      "/api": apiTarget,
      "/healthz": apiTarget,
    },
  },
  build: {
    outDir: staticDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
    rolldownOptions: {
      output: {
        // Vendor code changes less often than ours: separate chunks cache across UI releases.
        codeSplitting: {
          groups: [
            { name: "react", test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/, priority: 30 },
            { name: "query", test: /node_modules[\\/](@tanstack|openapi-fetch)[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
});
