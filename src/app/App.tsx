import { DropTarget } from './DropTarget';
import { SidePanel } from './panels/SidePanel';
import { EmptyState, ErrorBanner, LoadingCard } from './StatusOverlays';
import { Toolbar } from './toolbar/Toolbar';
import { SlideViewer } from './viewer/SlideViewer';

export function App() {
  return (
    <div className="app">
      <Toolbar />
      <main className="workspace">
        <section className="stage">
          <SlideViewer />
          <EmptyState />
          <ErrorBanner />
          <LoadingCard />
        </section>
        <SidePanel />
      </main>
      <DropTarget />
    </div>
  );
}
