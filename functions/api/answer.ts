/** An answer with a status other than 200. */
export class Answer {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
  ) {}
}
