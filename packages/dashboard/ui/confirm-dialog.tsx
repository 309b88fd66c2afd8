/**
 * A modal confirmation built on `<dialog>`: the browser keeps focus inside it, Escape closes it,
 * and focus goes back to the button that opened it. The safe choice has the focus first.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

export function ConfirmDialog(props: {
  readonly title: string;
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
  readonly children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          props.onConfirm();
        }}
      >
        <h2 id={`${id}-title`}>{props.title}</h2>
        {props.children}
        <div class="dialog-buttons">
          <button type="button" autofocus onClick={props.onClose}>
            Keep as it is
          </button>
          <button type="submit" class="danger">
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
