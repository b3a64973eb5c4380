import { useState, type ReactNode } from 'react';
import { Button, Dialog, DialogTrigger, Heading, Modal } from 'react-aria-components';
import { Problem } from './status';

interface ConfirmButtonProps {
  /** the button's words, and its accessible name when `ariaLabel` is not given */
  label: string;
  ariaLabel?: string;
  /** the question the dialog asks */
  title: string;
  /** what happens, in words, and any fields the action takes */
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  /**
   * Does the thing: true when done (the dialog closes); a refusal in words to show in the dialog;
   * false when refused and already shown where it belongs (next to a field among the children).
   */
  onConfirm: () => Promise<boolean | string>;
  /** a dangerous action (revoke, remove): red */
  danger?: boolean;
}

/** A button that asks first, in an alert dialog that keeps focus until it is answered; the refusal, if any, is shown in it. */
export function ConfirmButton({ label, ariaLabel, title, children, confirmLabel, cancelLabel = 'Keep it', onConfirm, danger = true }: ConfirmButtonProps) {
  const [refusal, setRefusal] = useState<string>();
  const [pending, setPending] = useState(false);
  return (
    <DialogTrigger onOpenChange={() => setRefusal(undefined)}>
      <Button className={danger ? 'button danger' : 'button'} aria-label={ariaLabel}>
        {label}
      </Button>
      <Modal className="modal" isDismissable>
        <Dialog role="alertdialog">
          {({ close }) => (
            <>
              <Heading slot="title">{title}</Heading>
              {children}
              {refusal && <Problem>{refusal}</Problem>}
              <div className="dialog-buttons">
                <Button className="button" onPress={close} autoFocus>
                  {cancelLabel}
                </Button>
                <Button
                  className={danger ? 'button danger' : 'button primary'}
                  isDisabled={pending}
                  onPress={() => {
                    setPending(true);
                    void onConfirm()
                      .then((outcome) => {
                        setRefusal(typeof outcome === 'string' ? outcome : undefined);
                        if (outcome === true) close();
                      })
                      .finally(() => setPending(false));
                  }}
                >
                  {confirmLabel}
                </Button>
              </div>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
