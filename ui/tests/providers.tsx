import type { ComponentProps } from "react";
import { AntdTheme } from "../src/app/AntdTheme";
import { Providers } from "../src/app/Providers";

/**
 * A feature screen as the signed-in chunk shows it: the app's providers plus antd's locale and
 * theme (SignedIn.tsx). The app's own Providers carry no antd (the first screen is plain).
 */
export function ScreenProviders({ children, ...props }: ComponentProps<typeof Providers>) {
  return (
    <Providers {...props}>
      <AntdTheme>{children}</AntdTheme>
    </Providers>
  );
}
