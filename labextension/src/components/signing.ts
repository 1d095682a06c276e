/**
 * The REST call first; when the server answers that the act must be signed with
 * the user's own key (a keyed project: details.signing is "kernel"), the same act
 * in a kernel of the user's own.
 */
import { asApiError } from './loadable';

export async function decideOrSign<T>(
  rest: () => Promise<T>,
  inKernel: () => Promise<T>
): Promise<T> {
  try {
    return await rest();
  } catch (reason) {
    const error = asApiError(reason);
    const details = error.details as { signing?: string } | null;
    if (error.status === 403 && details?.signing === 'kernel') {
      return inKernel();
    }
    throw error;
  }
}
