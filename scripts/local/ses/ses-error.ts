/** An error the SDK will raise under `code` (it names exceptions after the XML `<Code>`). */
export class SesError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}
