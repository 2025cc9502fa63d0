import { DropTarget } from './DropTarget';
import { ModelStageOverlay } from './model/ModelPanel';
import { SidePanel } from './panels/SidePanel';
import { StStage } from './st/StStage';
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
          <StStage />
          <ModelStageOverlay />
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
